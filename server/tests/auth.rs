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
        let mut req = client
            .post(server.url("/api/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=a%40b.c&password=x");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(call(Some("http://evil.example")).await.unwrap().status().as_u16(), 403);
    assert_eq!(call(None).await.unwrap().status().as_u16(), 403, "no Origin at all is refused too");
    let own = call(Some(&format!("http://{host}"))).await.unwrap();
    let status = own.status().as_u16();
    let body = own.text().await.unwrap();
    // Past the check, the server function itself answers: the sign-in is refused.
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Wrong email or password."), "{body}");
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
    let count =
        db.collection::<mongodb::bson::Document>("users").count_documents(mongodb::bson::doc! {}).await.unwrap();
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

#[tokio::test]
async fn the_session_cookie_is_guarded_and_sign_out_ends_the_session() {
    let world = Owned(
        World::new("cookies")
            .with("GEOLEDGER_ADMIN_EMAIL", "ops@example.in")
            .with("GEOLEDGER_ADMIN_PASSWORD", "a-long-password"),
    );
    let server = world.server();
    let cookie = first_sign_in(&server, false).await;
    assert_eq!(
        sign_in(&server, false, "ops@example.in", "not-the-password").await,
        None,
        "a wrong password gets no session"
    );
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"SameSite=Strict"), "{cookie}");
    assert!(!attributes.contains(&"Secure"), "plain http: not Secure, or the browser would drop it: {cookie}");

    // The cookie opens the pages and the live stream.
    let session = attributes[0].to_string();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: &str| client.get(server.url(path)).header("cookie", &session).send();
    assert_eq!(get("/cities").await.unwrap().status().as_u16(), 200);
    let stream = get("/api/v1/stream").await.unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    drop(stream);

    // Signed out, the same cookie opens nothing.
    sign_out(&server, &session).await;
    assert_eq!(get("/cities").await.unwrap().status().as_u16(), 303);
    assert_eq!(get("/api/v1/stream").await.unwrap().status().as_u16(), 401);
    server.stop();

    // Behind https (GEOLEDGER_SECURE_COOKIES), the cookie is Secure too.
    let server = world.clone().with("GEOLEDGER_SECURE_COOKIES", "true").server();
    let cookie = first_sign_in(&server, true).await;
    assert!(cookie.split(';').map(str::trim).any(|a| a == "Secure"), "{cookie}");
}
