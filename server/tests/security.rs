//! The web surface closed: security headers, limits, login throttling.

mod common;
mod route_table;

use common::*;
use route_table::{route_table, RouteRule};

/// An admin who can sign in, in a world of its own.
fn world_with_admin(name: &str) -> World {
    World::new(name).with("GEOLEDGER_ADMIN_EMAIL", "ops@example.in").with("GEOLEDGER_ADMIN_PASSWORD", "a-long-password")
}

/// Waits until the server has made the first admin.
async fn admin_made(world: &World) {
    let users = world.db().await.collection::<mongodb::bson::Document>("users");
    for _ in 0..150 {
        if users.count_documents(mongodb::bson::doc! {}).await.unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the first admin was not made within 15 s");
}

/// A sign-in from `address` (as the proxy in front says, in X-Forwarded-For):
/// its status, Retry-After and Location headers, and body.
async fn attempt(
    server: &Server,
    address: &str,
    email: &str,
    password: &str,
    next: &str,
) -> (u16, String, String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client
        .post(server.url("/api/login"))
        .header("origin", &server.base_url)
        .header("accept", "text/html") // a form posted without JavaScript: redirects are 302s
        .header("x-forwarded-for", format!("203.0.113.250, {address}"))
        .form(&[("email", email), ("password", password), ("next", next)])
        .send()
        .await
        .unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (retry_after, location) = (header("retry-after"), header("location"));
    (response.status().as_u16(), retry_after, location, response.text().await.unwrap())
}

/// The nonce a Content-Security-Policy allows scripts by.
fn policy_nonce(policy: &str) -> Option<&str> {
    policy.split("'nonce-").nth(1)?.split('\'').next()
}

/// Every page the app routes, its parameters filled in with a sample value,
/// and one address no route matches (the not-found page).
fn every_page() -> Vec<String> {
    let mut pages: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| {
            // Parameters as axum writes them: `{name}`.
            let filled: Vec<&str> =
                route.path().split('/').map(|s| if s.starts_with('{') { "Sample" } else { s }).collect();
            let path = filled.join("/");
            if path.is_empty() {
                "/".to_string()
            } else {
                path
            }
        })
        .collect();
    pages.sort();
    pages.dedup();
    pages.push("/no-such-page".into());
    pages
}

fn assert_closed_headers(what: &str, headers: &reqwest::header::HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin", "{what}");
    let policy = header("content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
    let scripts = policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap_or_default();
    let sources: Vec<&str> = scripts.split_whitespace().skip(1).collect();
    assert!(!sources.is_empty(), "{what}: {policy}");
    assert!(
        !sources.iter().any(|s| ["'unsafe-inline'", "'unsafe-eval'", "*", "data:"].contains(s)),
        "{what}: {policy}"
    );
    assert!(policy_nonce(&policy).is_some_and(|n| n.len() >= 16), "{what}: {policy}");
}

#[tokio::test]
async fn every_page_and_answer_carries_the_security_headers_and_every_script_the_nonce() {
    let world = Owned(world_with_admin("headers"));
    let server = world.server();
    let session = session_of(&first_sign_in(&server, false).await);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let pages = every_page();
    assert!(pages.len() >= 12 && pages.contains(&"/kafka/groups/Sample".to_string()), "{pages:?}");
    let mut nonces = std::collections::HashSet::new();
    for page in &pages {
        let response = client.get(server.url(page)).header("cookie", &session).send().await.unwrap();
        let status = response.status().as_u16();
        assert!(status == 200 || (page == "/no-such-page" && status == 404), "{page}: {status}");
        assert_closed_headers(page, response.headers());
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
        let nonce = policy_nonce(&policy).unwrap().to_string();
        let html = response.text().await.unwrap();
        let scripts: Vec<&str> = html.split("<script").skip(1).map(|s| s.split('>').next().unwrap()).collect();
        assert!(scripts.len() >= 2, "{page}: the hydration scripts and Leaflet: {html}");
        for script in scripts {
            assert!(
                script.contains(&format!(r#"nonce="{nonce}""#)),
                "{page}: <script{script}> lacks the nonce {nonce}"
            );
        }
        assert!(nonces.insert(nonce), "{page}: a nonce is drawn afresh for each answer");
    }

    // Not only pages: a redirect to the login page, a static file, the REST API.
    let anonymous = client.get(server.url("/cities")).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_closed_headers("the redirect to sign in", anonymous.headers());
    let icon = client.get(server.url("/favicon.svg")).send().await.unwrap();
    assert_closed_headers("a static file", icon.headers());
    let api = client.get(server.url("/api/v1/cities")).header("cookie", &session).send().await.unwrap();
    assert_eq!(api.status().as_u16(), 200);
    assert_closed_headers("the REST API", api.headers());
    assert!(!api.headers().contains_key("strict-transport-security"), "plain http: no HSTS");
    server.stop();

    // Served over https (behind a TLS proxy), browsers are told to keep to https.
    let server = world.clone().with("GEOLEDGER_SECURE_COOKIES", "true").server();
    let login = client.get(server.url("/login")).send().await.unwrap();
    assert_eq!(login.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
}

#[tokio::test]
async fn sign_ins_past_an_address_or_account_allowance_are_refused_and_told_when_to_try_again() {
    let world = Owned(
        world_with_admin("throttle")
            .with("GEOLEDGER_LOGIN_PER_ADDRESS", "3")
            .with("GEOLEDGER_LOGIN_PER_ACCOUNT", "2")
            .with("GEOLEDGER_CLIENT_ADDRESS_HEADER", "x-forwarded-for"),
    );
    let server = world.server();
    admin_made(&world).await;
    let (a, b) = ("198.51.100.7", "198.51.100.8");

    let (status, ..) = attempt(&server, b, "ops@example.in", "a-long-password", "/").await;
    assert!((300..400).contains(&status), "the account's first attempt this minute, signed in: {status}");
    let (status, ..) = attempt(&server, a, "ops@example.in", "wrong-password", "/").await;
    assert_eq!(status, 401, "the account's second attempt this minute");
    // The account's allowance is spent: even the right password, from elsewhere, waits.
    let (status, retry_after, _, body) = attempt(&server, b, "ops@example.in", "a-long-password", "/").await;
    assert_eq!(status, 429, "{body}");
    let seconds: u64 = retry_after.parse().unwrap_or_else(|_| panic!("Retry-After: {retry_after:?}"));
    assert!((1..=30).contains(&seconds), "one attempt every 30 s: {seconds}");
    let unit = if seconds == 1 { "second" } else { "seconds" };
    assert!(body.contains(&format!("Too many sign-in attempts. Try again in {seconds} {unit}.")), "{body}");

    // Address a: its second and third attempts (other accounts) are answered, its fourth is not.
    assert_eq!(attempt(&server, a, "nobody@example.in", "x-password", "/").await.0, 401);
    assert_eq!(attempt(&server, a, "someone@example.in", "x-password", "/").await.0, 401);
    let (status, retry_after, ..) = attempt(&server, a, "anyone@example.in", "x-password", "/").await;
    assert_eq!(status, 429);
    assert!(retry_after.parse::<u64>().is_ok_and(|s| (1..=20).contains(&s)), "one every 20 s: {retry_after}");
    // Address b has its own allowance.
    assert_eq!(attempt(&server, b, "else@example.in", "x-password", "/").await.0, 401);
}

#[tokio::test]
async fn after_signing_in_the_browser_goes_only_to_a_path_of_this_site() {
    let world = Owned(world_with_admin("next_path"));
    let server = world.server();
    admin_made(&world).await;
    for (next, expected) in [
        ("/cities?q=pune", "/cities?q=pune"),
        ("/\\evil.example", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\t/evil.example", "/"),
    ] {
        let (status, _, location, body) =
            attempt(&server, "192.0.2.1", "ops@example.in", "a-long-password", next).await;
        assert!((300..400).contains(&status), "{next:?}: {status} {body}");
        assert_eq!(location, expected, "{next:?}");
    }
}

#[tokio::test]
async fn credentials_are_never_printed_in_help_errors_or_readiness() {
    let world = Owned(World::new("credentials"));
    let secret = "hunter2-Secret";
    let uri = world.mongodb_uri.replacen("mongodb://", &format!("mongodb://geo:{secret}@"), 1);
    let mut env = world.env();
    env.retain(|(k, _)| k != "GEOLEDGER_MONGODB_URI" && k != "GEOLEDGER_ADMIN_PASSWORD");
    env.push(("GEOLEDGER_MONGODB_URI".into(), uri.clone()));
    env.push(("GEOLEDGER_ADMIN_PASSWORD".into(), secret.into()));
    for args in [&["serve", "--help"][..], &["token", "--help"], &["import", "--help"], &["replay", "--help"]] {
        let (_, out, err) = cli_outcome(args, &env);
        assert!(out.contains("GEOLEDGER_MONGODB_URI"), "{args:?}: {out}");
        assert!(!out.contains(secret) && !err.contains(secret), "{args:?}: {out}{err}");
    }
    // A command that fails on the store (it refuses or lacks these credentials) says so without them.
    let (_, out, err) = cli_outcome(&["token", "list"], &env);
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");

    let server = Server::start_with(&world.brokers, &uri, &env);
    let response = reqwest::get(server.url("/readyz")).await.unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains("127.0.0.1:27017"), "{body}");
    assert!(!body.contains(secret) && !body.contains("geo:"), "{body}");
    server.stop();

    // Nor in the server's log, which tells at length that the store refused it.
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("GEOLEDGER_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("GEOLEDGER_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    serve.kill().unwrap();
    let out = serve.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Authentication failed"), "the log tells of the refusal: {log}");
    assert!(!log.contains(secret), "{log}");
}

#[tokio::test]
async fn bodies_over_their_limits_are_refused_with_the_limit_named() {
    let world =
        Owned(World::new("limits").with("GEOLEDGER_JSON_MAX_BYTES", "4096").with("GEOLEDGER_BULK_MAX_ROWS", "3"));
    let server = world.server();
    let api = Api::new(&server, &world.token());

    // A server function takes 64 KiB at most: over it, declared, it is refused before it runs…
    let client = reqwest::Client::new();
    let long = "x".repeat(100 * 1024);
    let declared = client
        .post(server.url("/api/login"))
        .header("origin", &server.base_url)
        .form(&[("email", long.as_str()), ("password", "a-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status().as_u16(), 413);
    let body = declared.text().await.unwrap();
    assert!(body.contains("the request is over 64 KiB, the most this call takes"), "{body}");
    // …and sent without a length, it is cut off where it runs over: answered 400, or, when
    // the answer overtakes the rest of the body, the connection closed under the sender.
    let chunks = futures::stream::iter((0..100).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024])));
    let streamed = client
        .post(server.url("/api/login"))
        .header("origin", &server.base_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(streamed) = streamed {
        let status = streamed.status().as_u16();
        let body = streamed.text().await.unwrap_or_default();
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("length limit exceeded"), "{body}");
    }

    // The REST API: JSON bodies by GEOLEDGER_JSON_MAX_BYTES, bulk rows by GEOLEDGER_BULK_MAX_ROWS.
    let padded = serde_json::json!({ "city_name": "Pune", "state": "Maharashtra", "note": "x".repeat(5000) });
    let (status, _) = api.post("/api/v1/location-updates/cities", &padded).await;
    assert_eq!(status, 413);
    let town = |i: i32| {
        let name = format!("Town {i}");
        serde_json::json!({ "city_name": name, "state": "Goa", "latitude": 15.3, "longitude": 74.0 })
    };
    let rows: Vec<_> = (0..4).map(town).collect();
    let (status, body) = api.post("/api/v1/location-updates/cities/bulk", &serde_json::json!(rows)).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most 3 rows, not 4"), "{body}");
    let (status, body) = api.post("/api/v1/location-updates/cities/bulk", &serde_json::json!([padded])).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("a JSON body may have at most 4 KiB"), "{body}");
    let (status, body) = api.post("/api/v1/location-updates/cities/bulk", &serde_json::json!(rows[..3])).await;
    assert!(status < 300, "three rows are taken: {status} {body}");
}

#[test]
fn the_container_runs_as_a_user_without_root() {
    let dockerfile = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    let user = last_stage.lines().filter_map(|l| l.trim().strip_prefix("USER ")).next_back();
    let user = user.expect("the image's last stage names a USER").trim();
    let name = user.split(':').next().unwrap();
    assert!(!["root", "0", ""].contains(&name), "USER {user}");
    let entry = last_stage.find("ENTRYPOINT").unwrap();
    assert!(last_stage.find("USER ").unwrap() < entry, "USER is set before the entry point");
}

/// A server reaching the shared cluster through another of its listeners
/// (`world` says how) publishes and applies a city; a server configured as
/// `refused` is not ready, and `/readyz` says Kafka refused it, with `why`,
/// never `secret`.
async fn kafka_through(world: World, refused: World, why: &str, secret: &str) {
    let brokers = world.env().into_iter().rev().find(|(k, _)| k == "GEOLEDGER_KAFKA_BROKERS").unwrap().1;
    let port: u16 = brokers.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "nothing listens on {brokers}: restart the broker with scripts/services (it opens SASL and TLS listeners)"
    );
    let world = Owned(world);
    let server = world.server();
    let api = Api::new(&server, &world.token());
    let city =
        serde_json::json!({ "city_name": "Shillong", "state": "Meghalaya", "latitude": 25.57, "longitude": 91.88 });
    let (status, body) = api.post("/api/v1/location-updates/cities", &city).await;
    assert_eq!(status, 202, "published through {brokers}: {body}");
    api.eventually("/api/v1/cities/Shillong/Meghalaya", std::time::Duration::from_secs(30), |status, _| status == 200)
        .await;
    server.stop();

    let server = refused.server();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let body = loop {
        let response = reqwest::get(server.url("/readyz")).await.unwrap();
        let (status, body) = (response.status().as_u16(), response.text().await.unwrap());
        if status == 503 && body.contains("Kafka refused GeoLedger's connection") && body.contains(why) {
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "readiness never said why Kafka refused: {status} {body}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(secret.is_empty() || !body.contains(secret), "{body}");
}

#[tokio::test]
async fn the_server_works_through_a_sasl_plain_listener_and_says_why_when_its_password_is_wrong() {
    // The same cluster (its topics are cleaned up through the plain listener), reached through SASL.
    let world = World::new("sasl")
        .with("GEOLEDGER_KAFKA_BROKERS", &shared_kafka_sasl())
        .with("GEOLEDGER_KAFKA_SECURITY_PROTOCOL", "sasl_plaintext")
        .with("GEOLEDGER_KAFKA_SASL_MECHANISM", "PLAIN")
        .with("GEOLEDGER_KAFKA_SASL_USERNAME", "geoledger");
    let wrong = "not-the-sasl-password";
    let refused = world.clone().with("GEOLEDGER_KAFKA_SASL_PASSWORD", wrong);
    let world = world.with("GEOLEDGER_KAFKA_SASL_PASSWORD", "geoledger-local-sasl");
    kafka_through(world, refused, "Authentication failed", wrong).await;
}

#[tokio::test]
async fn the_server_works_through_a_tls_listener_it_trusts_and_says_why_when_it_does_not() {
    let (brokers, ca) = shared_kafka_tls();
    let world =
        World::new("tls").with("GEOLEDGER_KAFKA_BROKERS", &brokers).with("GEOLEDGER_KAFKA_SECURITY_PROTOCOL", "ssl");
    // Without the local CA the broker's certificate is signed by no one the system trusts.
    let refused = world.clone();
    let world = world.with("GEOLEDGER_KAFKA_SSL_CA_LOCATION", &ca);
    kafka_through(world, refused, "certificate verify failed", "").await;
}

/// Reads a live stream until it ends; false if it is still open after `limit`.
async fn ends_within(mut stream: reqwest::Response, limit: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn live_streams_are_bounded_per_holder_and_end_when_the_token_is_revoked_or_the_session_signs_out() {
    let world = Owned(
        world_with_admin("streams")
            .with("GEOLEDGER_STREAMS_PER_HOLDER", "2")
            .with("GEOLEDGER_STREAM_RECHECK_SECS", "1"),
    );
    let server = world.server();
    let token = cli(&["token", "create", "--name", "streamer"], &world.env()).trim().to_string();
    let client = reqwest::Client::new();
    let open = |token: &str| client.get(server.url("/api/v1/stream")).bearer_auth(token).send();

    let first = open(&token).await.unwrap();
    let second = open(&token).await.unwrap();
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    let third = open(&token).await.unwrap();
    assert_eq!(third.status().as_u16(), 429);
    assert!(third.headers().contains_key("retry-after"));
    let body = third.text().await.unwrap();
    assert!(body.contains("at most 2 live streams at once for one session or token"), "{body}");
    // Another holder has its own count.
    let other = open(&world.token()).await.unwrap();
    assert_eq!(other.status().as_u16(), 200);

    // Revoked (from the command line: another process), the token's streams end.
    cli(&["token", "revoke", "streamer"], &world.env());
    let secs = std::time::Duration::from_secs(10);
    assert!(ends_within(first, secs).await, "the first stream ended after its token was revoked");
    assert!(ends_within(second, secs).await, "the second too");
    assert_eq!(open(&token).await.unwrap().status().as_u16(), 401);

    // A session too holds two at most, and they end when it signs out.
    let session = session_of(&first_sign_in(&server, false).await);
    let by_session = || client.get(server.url("/api/v1/stream")).header("cookie", &session).send();
    let (stream, twin) = (by_session().await.unwrap(), by_session().await.unwrap());
    assert_eq!((stream.status().as_u16(), twin.status().as_u16()), (200, 200));
    assert_eq!(by_session().await.unwrap().status().as_u16(), 429, "a third tab of the same session");
    sign_out(&server, &session).await;
    assert!(ends_within(stream, secs).await, "the session's stream ended when it signed out");
    assert!(ends_within(twin, secs).await, "and its twin");
    assert!(!ends_within(other, std::time::Duration::from_secs(2)).await, "another holder's stream goes on");
}

#[tokio::test]
async fn a_session_ends_at_its_lifetime_however_active_and_when_its_admin_gets_a_new_password() {
    let world = Owned(world_with_admin("session_life").with("GEOLEDGER_SESSION_MAX_SECS", "3"));
    let server = world.server();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = |cookie: &str| client.get(server.url("/cities")).header("cookie", cookie.to_string()).send();

    let session = session_of(&first_sign_in(&server, false).await);
    let started = std::time::Instant::now();
    // Active all along: a request every half second.
    while started.elapsed() < std::time::Duration::from_millis(2500) {
        assert_eq!(page(&session).await.unwrap().status().as_u16(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(page(&session).await.unwrap().status().as_u16(), 303, "3 s after signing in: sign in again");

    // A new password ends the sessions signed in with the old one.
    let session = session_of(&first_sign_in(&server, false).await);
    assert_eq!(page(&session).await.unwrap().status().as_u16(), 200);
    let mut env = world.env();
    env.push(("GEOLEDGER_ADMIN_PASSWORD".into(), "a-new-long-password".into()));
    let (ok, _, said) = cli_outcome(&["admin", "create", "--email", "ops@example.in"], &env);
    assert!(ok && said.contains("(1 session ended)"), "{said}");
    assert_eq!(page(&session).await.unwrap().status().as_u16(), 303);
}

/// A path with its parameters filled in.
fn filled(path: &str) -> String {
    path.split('/')
        .map(|s| match s {
            "{code}" => "110001",
            "{file}" => "city.created.v1.avsc",
            _ if s.starts_with('{') => "Sample",
            _ => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_route_table_names_every_page_server_function_and_rest_route() {
    let table = route_table();
    let listed = |method: &str, path: &str| table.iter().any(|r| r.method == method && r.path == path);
    for route in leptos_axum::generate_route_list(app::App) {
        let path = if route.path().is_empty() { "/" } else { route.path() };
        assert!(listed("GET", path), "the page {path} is not in the route table of docs/api.md");
    }
    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(functions.len() >= 20, "{functions:?}");
    for (path, method) in functions {
        assert!(listed(method.as_str(), path), "the server function {method} {path} is not in the route table");
    }
    // The REST API's routes, as server/src/http/rest/mod.rs declares them (writes under /location-updates).
    let rest = std::fs::read_to_string(repo_root().join("server/src/http/rest/mod.rs")).unwrap();
    for declared in rest.split(".route(\"").skip(1).map(|s| s.split('"').next().unwrap()) {
        let found = table
            .iter()
            .any(|r| r.path == format!("/api/v1{declared}") || r.path == format!("/api/v1/location-updates{declared}"));
        assert!(found, "the REST route {declared} is not in the route table");
    }
    let rules: std::collections::BTreeSet<&str> = table.iter().map(|r| r.rule.as_str()).collect();
    let known = [
        "anyone",
        "anyone, same origin",
        "session",
        "session, same origin",
        "token",
        "token, or session",
        "token, or session, same origin",
    ];
    assert!(rules.iter().all(|r| known.contains(r)), "{rules:?}");
}

/// The static files of the route table's last row, one of each kind.
const STATIC_FILES: [&str; 4] = ["/favicon.svg", "/leaflet/leaflet.js", "/geo/south-asia.geojson", "/pkg/geoledger.js"];

#[tokio::test]
async fn every_route_lets_in_only_whom_the_route_table_says() {
    // A site root of its own, with a file where each kind of static file is.
    let site = tempfile::tempdir().unwrap();
    for file in STATIC_FILES {
        let path = site.path().join(file.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "static").unwrap();
    }
    let world = Owned(world_with_admin("route_table").with("GEOLEDGER_SITE_ROOT", site.path().to_str().unwrap()));
    let server = world.server();
    let token = world.token();
    let revoked = cli(&["token", "create", "--name", "revoked"], &world.env()).trim().to_string();
    cli(&["token", "revoke", "revoked"], &world.env());
    let sign_in = || async { session_of(&first_sign_in(&server, false).await) };
    let mut session = sign_in().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // (what, origin, cookie, token) → status, for one route.
    let call = |route: &RouteRule, origin: Option<&str>, cookie: Option<&str>, bearer: Option<&str>| {
        let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
        let mut request = client.request(method, server.url(&filled(&route.path)));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            // A live stream never ends by itself: its status is all that is read.
            (status, location.unwrap_or_default())
        }
    };
    let own = server.base_url.clone();
    let refused = |status: u16| [401, 403].contains(&status);
    let table = route_table();
    assert!(table.len() >= 60, "{}", table.len());
    for route in &table {
        let what = format!("{} {} ({})", route.method, route.path, route.rule);
        let same_origin = route.rule.ends_with("same origin");
        let origin = same_origin.then_some(own.as_str());
        // Anonymous.
        let (status, location) = call(route, origin, None, None).await;
        match route.rule.as_str() {
            "anyone" | "anyone, same origin" => {
                assert!(!refused(status) && status != 303, "{what}: anonymous got {status}")
            }
            "session" => {
                assert!(status == 303 && location.starts_with("/login?next="), "{what}: anonymous got {status}")
            }
            _ => assert_eq!(status, 401, "{what}: anonymous"),
        }
        // A bad token, a revoked token: nothing more than anonymous.
        for bearer in ["gl_not-a-token", revoked.as_str()] {
            let (status, _) = call(route, origin, None, Some(bearer)).await;
            if route.rule.starts_with("token") {
                assert_eq!(status, 401, "{what}: with the token {bearer}");
            }
        }
        // The session cookie alone: enough for pages, server functions and REST reads, never for REST writes.
        let (status, _) = call(route, origin, Some(&session), None).await;
        match route.rule.as_str() {
            "token" => assert_eq!(status, 401, "{what}: a cookie-only {} is refused", route.method),
            _ => assert!(!refused(status) && status != 303, "{what}: signed in, got {status}"),
        }
        if route.path == "/api/logout" {
            session = sign_in().await;
        }
        // A valid token opens the token routes.
        if route.rule.starts_with("token") {
            let (status, _) = call(route, None, None, Some(&token)).await;
            assert!(!refused(status), "{what}: a valid token got {status}");
        }
        // Server functions (and the REST reads a page POSTs): another Origin is refused even with the cookie.
        if same_origin {
            let (status, _) = call(route, Some("http://evil.example"), Some(&session), None).await;
            if route.path.starts_with("/api/v1/") {
                assert_eq!(status, 401, "{what}: another origin's cookie is no credential");
            } else {
                assert_eq!(status, 403, "{what}: another origin");
            }
        }
    }
    for path in STATIC_FILES {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}: anyone may fetch a static file");
    }
}
