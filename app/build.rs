//! Whether the browser's wasm is split by page.
//!
//! `cargo leptos build --split` (what `scripts/run` and `scripts/test` build)
//! cuts each lazy page out of the main wasm; it links the wasm with
//! `--emit-relocs` to find the cuts. A build without `--split` (`cargo leptos
//! watch`, `scripts/dev`, the Leptos docs' way) leaves no one to resolve the
//! split points' imports, and a page that loads one never starts. So the
//! pages are split points only in a wasm build linked for splitting
//! (`cfg(split_pages)`): the plain build loads every page from one wasm, the
//! split one from its chunks, and the server renders both the same way.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(split_pages)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let linked_for_splitting = std::env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("--emit-relocs"));
    if !wasm || linked_for_splitting {
        println!("cargo::rustc-cfg=split_pages");
    }
}
