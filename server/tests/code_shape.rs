//! The shape of the code, checked: what rustfmt and clippy cannot see.
//!
//! - No import circle between files, in either crate.
//! - Rooms import only the rooms below them (the server: `store/` and
//!   `pipeline/` never reach up into `http/`; the UI: no page imports another
//!   page, and components import no page).
//! - Imports come in groups: std, then external crates, then the crate's own.
//! - Every line fits the width in rustfmt.toml (rustfmt leaves macro bodies,
//!   such as `view!` and `json!`, as they are written).
//! - The code map (docs/architecture.md) names every folder of `app/src` and
//!   `server/src`, and every path it names exists; so does the README's short one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The server's rooms, from the bottom up: a room may import itself and the
/// rooms before it, never one after it.
const SERVER_ROOMS: &[&str] = &[
    "config",
    "telemetry",
    "store",
    "index",
    "pipeline",
    "kafka_admin",
    "auth",
    "error",
    "service",
    "import",
    "export",
    "http",
    "setup",
    "lib",
    "main",
];

/// The UI crate's rooms, from the bottom up.
const APP_ROOMS: &[&str] = &["domain", "format", "api", "components", "pages", "shell", "lib"];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Everything under `dir` (not `dir` itself), files and folders, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")).collect()
}

/// Every folder under `dir`, relative to it, sorted.
fn folders(dir: &Path) -> Vec<String> {
    let inside = |p: &PathBuf| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
    walk(dir).iter().filter(|p| p.is_dir()).map(inside).collect()
}

/// The module path of a file of a crate rooted at `src`: `store/apply.rs` is
/// `["store", "apply"]`, `store/mod.rs` is `["store"]`, `lib.rs` is `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The file that holds the longest prefix of `path` that is a module.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    for n in (0..=path.len()).rev() {
        let prefix = &path[..n];
        let dir: PathBuf = prefix.iter().collect();
        let candidates = if n == 0 {
            vec![src.join("lib.rs")]
        } else {
            vec![src.join(&dir).with_extension("rs"), src.join(&dir).join("mod.rs")]
        };
        if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
            return Some(found);
        }
    }
    None
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else { return vec![tree] };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).flat_map(|p| expand(&format!("{prefix}{p}"))).collect()
}

/// The crate's own modules a file's code names, as module paths from the
/// crate root: in `use` items and inline (`crate::format::indian(p)`). Inline
/// modules (`mod tests { use super::*; }`) are followed, so `super` means what
/// it means there. Re-exports (`pub use`) shape a module's face and use
/// nothing: they are left out, as are comments.
fn own_modules(text: &str, file_module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    // Inline modules open around the line: (indentation, name).
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut statement: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        let module: Vec<String> = file_module.iter().cloned().chain(inline.iter().map(|(_, n)| n.clone())).collect();
        if let Some(s) = statement.as_mut() {
            s.push_str(t);
            if t.ends_with(';') {
                found.extend(expand(s.trim_end_matches(';')).iter().filter_map(|p| resolve(p, &module)));
                statement = None;
            }
            continue;
        }
        if t.starts_with("//") || t.starts_with("pub use ") || t.starts_with("pub(crate) use ") {
            continue;
        }
        if let Some(rest) = t.strip_prefix("use ") {
            match rest.strip_suffix(';') {
                Some(tree) => found.extend(expand(tree).iter().filter_map(|p| resolve(p, &module))),
                None => statement = Some(rest.to_string()),
            }
            continue;
        }
        let declared = t.strip_prefix("pub ").unwrap_or(t);
        if let Some(name) = declared.strip_prefix("mod ").and_then(|r| r.strip_suffix('{')) {
            inline.push((indent, name.trim().to_string()));
            continue;
        }
        if t == "}" && inline.last().is_some_and(|(i, _)| *i == indent) {
            inline.pop();
            continue;
        }
        for path in inline_paths(t) {
            found.extend(resolve(&path, &module));
        }
    }
    found
}

/// `crate::…` and `super::…` paths written inside a line of code.
fn inline_paths(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let part_of_path = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
    let mut paths = Vec::new();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = line[from..].find(root) {
            let start = from + i;
            let mut end = start;
            while end < line.len() && part_of_path(bytes[end]) {
                end += 1;
            }
            if start == 0 || !part_of_path(bytes[start - 1]) {
                paths.push(line[start..end].trim_end_matches(':').to_string());
            }
            from = end.max(start + 1);
        }
    }
    paths
}

/// A path written in `module`, as a module path from the crate root; None for
/// another crate's.
fn resolve(path: &str, module: &[String]) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty() && *s != "*").peekable();
    let mut target: Vec<String> = match *segments.peek()? {
        "crate" => Vec::new(),
        "super" | "self" => module.to_vec(),
        _ => return None,
    };
    for s in segments {
        match s {
            "crate" | "self" => {}
            "super" => {
                target.pop();
            }
            name => target.push(name.to_string()),
        }
    }
    Some(target)
}

/// The crate's import graph: file → the files it imports from.
fn import_graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for file in rust_files(src) {
        let text = fs::read_to_string(&file).unwrap();
        let edges: BTreeSet<PathBuf> = own_modules(&text, &module_of(src, &file))
            .iter()
            .filter_map(|m| file_of(src, m))
            .filter(|to| *to != file)
            .collect();
        graph.insert(file, edges);
    }
    graph
}

/// An import circle, as the files it passes through, if there is one.
fn find_circle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        node: &PathBuf,
        graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        path: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.clone());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

/// The room a file is in: its first folder, or its own name at the top.
fn room(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.iter().next().unwrap().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn shown(src: &Path, files: &[PathBuf]) -> String {
    files.iter().map(|f| f.strip_prefix(src).unwrap().display().to_string()).collect::<Vec<_>>().join(" → ")
}

fn check_crate(crate_dir: &str, rooms: &[&str]) -> Vec<String> {
    let src = repo_root().join(crate_dir).join("src");
    let graph = import_graph(&src);
    let mut problems = Vec::new();
    if let Some(circle) = find_circle(&graph) {
        problems.push(format!("{crate_dir}: import circle {}", shown(&src, &circle)));
    }
    for (from, targets) in &graph {
        let from_room = room(&src, from);
        let Some(rank) = rooms.iter().position(|r| *r == from_room) else {
            problems.push(format!(
                "{crate_dir}: {} is in no known room ({rooms:?})",
                shown(&src, std::slice::from_ref(from))
            ));
            continue;
        };
        for to in targets {
            let to_room = room(&src, to);
            let to_rank = rooms.iter().position(|r| *r == to_room).unwrap_or(usize::MAX);
            if to_rank > rank {
                problems.push(format!(
                    "{crate_dir}: {} imports from a room above it ({to_room})",
                    shown(&src, &[from.clone(), to.clone()])
                ));
            }
            if from_room == "pages" && to_room == "pages" && !to.ends_with("pages/mod.rs") {
                let both = shown(&src, &[from.clone(), to.clone()]);
                problems.push(format!("{crate_dir}: a page imports another page: {both}"));
            }
        }
    }
    problems
}

#[test]
fn no_import_circles_and_no_upward_imports() {
    let mut problems = check_crate("server", SERVER_ROOMS);
    problems.extend(check_crate("app", APP_ROOMS));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The graphs are real: known imports are in them.
    for (crate_dir, from, to) in [
        ("server", "http/rest/reads.rs", "http/state.rs"),
        ("server", "pipeline/materializer/steps.rs", "store/mod.rs"),
        ("app", "pages/map.rs", "components/map.rs"),
        ("app", "domain/city.rs", "domain/geo.rs"),
    ] {
        let src = repo_root().join(crate_dir).join("src");
        let graph = import_graph(&src);
        assert!(graph[&src.join(from)].contains(&src.join(to)), "{crate_dir}: {from} imports from {to}");
    }
}

#[test]
fn the_checker_sees_a_circle_and_an_upward_import() {
    // A circle of three, and one file reaching up: the checks above can fail.
    let a = PathBuf::from("/x/store/a.rs");
    let b = PathBuf::from("/x/store/b.rs");
    let c = PathBuf::from("/x/http/c.rs");
    let graph = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([c.clone()])),
        (c.clone(), BTreeSet::from([a.clone()])),
    ]);
    let circle = find_circle(&graph).expect("a circle is found");
    assert_eq!(circle.len(), 4, "{circle:?}");
    assert_eq!(circle.first(), circle.last());
    assert!([&a, &b, &c].iter().all(|f| circle.contains(f)));
    assert_eq!(room(Path::new("/x"), &c), "http");
    let rank = |r: &str| SERVER_ROOMS.iter().position(|x| *x == r).unwrap();
    assert!(rank("http") > rank("store"), "store reaching into http counts as upward");
    assert_eq!(
        expand("super::{guard, health::{readyz, healthz}}"),
        ["super::guard", "super::health::readyz", "super::health::healthz"]
    );
    let names = |m: Vec<Vec<String>>| m.into_iter().map(|p| p.join("::")).collect::<Vec<_>>();
    let rest = ["http".to_string(), "rest".to_string()];
    assert_eq!(names(own_modules("use super::state::AppState;\nuse std::fmt;\n", &rest)), ["http::state::AppState"]);
    // `super` in a file's test module is the file itself.
    let tests = "mod tests {\n    use super::*;\n}\nfn f() { crate::format::indian(1); }\n";
    assert_eq!(names(own_modules(tests, &["format".to_string()])), ["format", "format::indian"]);
}

/// 0: std, core, alloc; 1: external crates; 2: the crate's own.
fn import_group(statement: &str) -> usize {
    let root = statement.trim_start().trim_start_matches("use ").trim_start_matches("::");
    let root: String = root.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    match root.as_str() {
        "std" | "core" | "alloc" => 0,
        "crate" | "super" | "self" => 2,
        _ => 1,
    }
}

/// Where a file's imports are out of their groups: each run of `use` items
/// must go std, external, own, with a blank line between groups.
fn import_order_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // (line number, group, blank line before it)
    let mut run: Vec<(usize, usize, bool)> = Vec::new();
    let mut blank = false;
    let mut inside = false;
    let lines: Vec<&str> = text.lines().collect();
    let mut flush = |run: &mut Vec<(usize, usize, bool)>| {
        for pair in run.windows(2) {
            let ((_, g1, _), (line, g2, blank)) = (pair[0], pair[1]);
            if g2 < g1 {
                problems.push(format!("line {line}: this import belongs to an earlier group"));
            } else if g2 > g1 && !blank {
                problems.push(format!("line {line}: a new group of imports starts without a blank line"));
            }
        }
        run.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if inside {
            inside = !t.trim_end().ends_with(';');
            continue;
        }
        if t.starts_with("use ") {
            run.push((i + 1, import_group(t), blank));
            inside = !t.trim_end().ends_with(';');
            blank = false;
        } else if t.is_empty() {
            blank = true;
        } else {
            flush(&mut run);
            blank = false;
        }
    }
    flush(&mut run);
    problems
}

fn max_width() -> usize {
    let config = fs::read_to_string(repo_root().join("rustfmt.toml")).unwrap();
    let line = config.lines().find(|l| l.trim_start().starts_with("max_width")).expect("rustfmt.toml sets max_width");
    line.split('=').nth(1).unwrap().trim().parse().unwrap()
}

fn every_rust_file() -> Vec<PathBuf> {
    let root = repo_root();
    ["app/src", "app/tests", "server/src", "server/tests"].iter().flat_map(|d| rust_files(&root.join(d))).collect()
}

#[test]
fn imports_are_grouped_std_external_then_own() {
    let mut problems = Vec::new();
    for file in every_rust_file() {
        for p in import_order_problems(&fs::read_to_string(&file).unwrap()) {
            problems.push(format!("{}: {p}", file.strip_prefix(repo_root()).unwrap().display()));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The check itself can fail.
    assert_eq!(import_order_problems("use crate::a;\nuse std::b;\n").len(), 1);
    assert_eq!(import_order_problems("use std::b;\nuse serde::c;\n").len(), 1);
    assert!(import_order_problems("use std::b;\n\nuse serde::c;\n\nuse crate::a;\n").is_empty());
}

#[test]
fn every_line_fits_the_configured_width() {
    let width = max_width();
    let mut problems = Vec::new();
    for file in every_rust_file() {
        for (i, line) in fs::read_to_string(&file).unwrap().lines().enumerate() {
            let chars = line.chars().count();
            if chars > width {
                let at = file.strip_prefix(repo_root()).unwrap().display();
                problems.push(format!("{at}:{}: {chars} characters (at most {width})", i + 1));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The "## Code map" section of a Markdown file of the repository.
fn code_map(file: &str) -> String {
    let text = fs::read_to_string(repo_root().join(file)).unwrap();
    let start = text.find("\n## Code map").unwrap_or_else(|| panic!("{file} has a '## Code map' section"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// The paths a code map names (in backticks, under app/ or server/) that do not exist.
fn missing_paths(map: &str) -> Vec<String> {
    let root = repo_root();
    map.split('`')
        .skip(1)
        .step_by(2)
        .map(|quoted| quoted.split([' ', ':']).next().unwrap_or_default())
        .filter(|path| (path.starts_with("app/") || path.starts_with("server/")) && !root.join(path).exists())
        .map(|path| format!("the code map names `{path}`, which does not exist"))
        .collect()
}

#[test]
fn the_code_map_matches_the_tree() {
    let map = code_map("docs/architecture.md");
    let root = repo_root();
    let mut problems = Vec::new();
    for crate_src in ["app/src", "server/src"] {
        for folder in folders(&root.join(crate_src)) {
            let named = format!("`{crate_src}/{folder}/`");
            if !map.contains(&named) {
                problems.push(format!("the code map does not name {named}"));
            }
        }
    }
    problems.extend(missing_paths(&map));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_readme_names_only_paths_that_exist() {
    let problems = missing_paths(&code_map("README.md"));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
