//! Admins, sessions and the guards around pages and server functions.

mod common;

use common::*;

#[tokio::test]
async fn pages_need_a_session_and_the_login_page_is_served() {
    let world = Owned(World::new("pages_ssr"));
    let server = world.server();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(server.url("/?tab=1")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2F%3Ftab%3D1");
    let cookie = response.headers().get("set-cookie").map(|c| c.to_str().unwrap().to_string());
    assert!(cookie.is_none(), "no session is made for an anonymous visit: {cookie:?}");

    let login = client.get(server.url("/login")).send().await.unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("<title>Sign in · GeoLedger</title>"), "{html}");
    assert!(html.contains(r#"<label for="email">"#) && html.contains(r#"<label for="password">"#), "{html}");

    // Static files need no session.
    let icon = client.get(server.url("/favicon.svg")).send().await.unwrap();
    assert_ne!(icon.status().as_u16(), 303);
}

#[tokio::test]
async fn server_functions_refuse_another_origin() {
    let world = Owned(World::new("origin"));
    let server = world.server();
    let client = reqwest::Client::new();
    let host = server.base_url.trim_start_matches("http://").to_string();
    let call = |origin: Option<&str>| {
        let mut req = client.post(server.url("/api/login")).header("content-type", "application/x-www-form-urlencoded").body("email=a%40b.c&password=x");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(call(Some("http://evil.example")).await.unwrap().status().as_u16(), 403);
    assert_eq!(call(None).await.unwrap().status().as_u16(), 403, "no Origin at all is refused too");
    let own = call(Some(&format!("http://{host}"))).await.unwrap();
    assert_ne!(own.status().as_u16(), 403, "the app's own origin passes the check");
}

#[tokio::test]
async fn admin_create_makes_an_admin_who_can_sign_in_and_resets_a_password() {
    let world = Owned(World::new("admins"));
    let mut env = world.env();
    env.push(("GEOLEDGER_ADMIN_PASSWORD".into(), "first-password".into()));
    cli(&["admin", "create", "--email", " Ops@Example.IN "], &env);
    let db = world.db().await;
    let users = geoledger::auth::Users::new(&db);
    assert_eq!(users.verify("ops@example.in", "first-password").await.unwrap().as_deref(), Some("ops@example.in"));
    assert_eq!(users.verify("ops@example.in", "wrong-password").await.unwrap(), None);

    // Again with another password: the password is reset, not a second admin made.
    env.push(("GEOLEDGER_ADMIN_PASSWORD".into(), "second-password".into()));
    cli(&["admin", "create", "--email", "ops@example.in"], &env);
    assert_eq!(users.verify("OPS@example.in", "second-password").await.unwrap().as_deref(), Some("ops@example.in"));
    assert_eq!(users.verify("ops@example.in", "first-password").await.unwrap(), None);
    let count = db.collection::<mongodb::bson::Document>("users").count_documents(mongodb::bson::doc! {}).await.unwrap();
    assert_eq!(count, 1);

    // Too short a password is refused with a reason.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .args(["admin", "create", "--email", "x@example.in"])
        .envs(world.env())
        .env("GEOLEDGER_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
}
