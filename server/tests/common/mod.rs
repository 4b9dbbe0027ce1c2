//! Test harness: real services only. A test gets its own database (and, where it
//! needs to stop one, its own Kafka broker started by scripts/services), and runs
//! the real `geoledger` binary against them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use geoledger::pipeline::kafka::settled;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::Value;

pub fn repo_root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).parent().unwrap().to_path_buf()
}

/// The shared broker that scripts/services started.
pub fn shared_kafka() -> String {
    std::env::var("GEOLEDGER_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// The same broker's SASL/PLAIN listener (scripts/services: user geoledger,
/// password geoledger-local-sasl).
pub fn shared_kafka_sasl() -> String {
    std::env::var("GEOLEDGER_TEST_KAFKA_SASL_BROKERS").unwrap_or_else(|_| "127.0.0.1:9192".into())
}

/// The same broker's TLS listener, and the CA file its certificate is signed by
/// (scripts/services makes both).
pub fn shared_kafka_tls() -> (String, String) {
    let brokers = std::env::var("GEOLEDGER_TEST_KAFKA_TLS_BROKERS").unwrap_or_else(|_| "127.0.0.1:9292".into());
    let ca = std::env::var("GEOLEDGER_TEST_KAFKA_TLS_CA")
        .unwrap_or_else(|_| repo_root().join(".data/kafka-tls/ca.pem").to_string_lossy().into_owned());
    (brokers, ca)
}

/// A MongoDB URI naming a database no other test uses.
pub fn private_mongo_uri(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = std::env::var("GEOLEDGER_TEST_MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into());
    format!("{}/test_{}_{}_{}", base.trim_end_matches('/'), test, std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Kafka broker or a MongoDB-wire server of this test's own, run by
/// `scripts/services` with its own data folder and ports, so the test may stop
/// and start it without disturbing others.
pub struct PrivateService {
    kind: &'static str,
    data: tempfile::TempDir,
    pub port: u16,
    controller_port: u16,
    /// Kafka: the nodes of the cluster, (broker port, controller port) each.
    nodes: Vec<(u16, u16)>,
}

/// The broker of a test that stops its Kafka.
pub type PrivateKafka = PrivateService;

impl PrivateService {
    pub fn start() -> Self {
        Self::of("kafka")
    }

    pub fn mongo() -> Self {
        Self::of("mongo")
    }

    /// A KRaft cluster of `n` nodes, each broker and controller.
    pub fn kafka_cluster(n: usize) -> Self {
        let nodes: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let s = PrivateService {
            kind: "kafka",
            data: tempfile::tempdir().unwrap(),
            port: nodes[0].0,
            controller_port: nodes[0].1,
            nodes,
        };
        s.services("start");
        s
    }

    fn of(kind: &'static str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let (port, controller_port) = (free_port(), free_port());
        let s = PrivateService { kind, data, port, controller_port, nodes: vec![(port, controller_port)] };
        s.services("start");
        s
    }

    pub fn brokers(&self) -> String {
        self.nodes.iter().map(|(p, _)| format!("127.0.0.1:{p}")).collect::<Vec<_>>().join(",")
    }

    /// Kills node `i` (1-based) of a Kafka cluster at once, as a crash would.
    pub fn kill_node(&self, i: usize) {
        let name = if i == 1 { "kafka".to_string() } else { format!("kafka-{i}") };
        let pid = std::fs::read_to_string(self.data.path().join(format!("run/{name}.pid"))).unwrap();
        let status = Command::new("kill").args(["-KILL", pid.trim()]).status().unwrap();
        assert!(status.success(), "kill node {i}");
    }

    /// A database of this MongoDB.
    pub fn mongodb_uri(&self, db: &str) -> String {
        format!("mongodb://127.0.0.1:{}/{db}", self.port)
    }

    pub fn stop(&self) {
        self.services("stop");
    }

    pub fn restart(&self) {
        self.services("start");
    }

    fn services(&self, action: &str) {
        let list =
            |f: fn(&(u16, u16)) -> u16| self.nodes.iter().map(|n| f(n).to_string()).collect::<Vec<_>>().join(",");
        let status = Command::new(repo_root().join("scripts/services"))
            .args([action, self.kind, "--brokers", &self.nodes.len().to_string()])
            .env("GEOLEDGER_KAFKA_PORTS", list(|n| n.0))
            .env("GEOLEDGER_KAFKA_CONTROLLER_PORTS", list(|n| n.1))
            .env("GEOLEDGER_DATA_DIR", self.data.path())
            .env("GEOLEDGER_KAFKA_PORT", self.port.to_string())
            .env("GEOLEDGER_KAFKA_CONTROLLER_PORT", self.controller_port.to_string())
            .env("GEOLEDGER_MONGO_PORT", self.port.to_string())
            .status()
            .expect("run scripts/services");
        assert!(status.success(), "scripts/services {action} {} failed", self.kind);
    }
}

impl Drop for PrivateService {
    fn drop(&mut self) {
        self.stop();
        // Under scripts/soak, the service's own logs outlive its data folder.
        if let Ok(dir) = std::env::var("GEOLEDGER_TEST_LOG_DIR") {
            let to = PathBuf::from(dir).join(format!("{}-{}", self.kind, self.port));
            let _ = Command::new("cp").arg("-r").arg(self.data.path().join("logs")).arg(&to).status();
        }
    }
}

/// The real `geoledger serve`, on a free port.
pub struct Server {
    child: Child,
    pub base_url: String,
}

/// Waits until the server process `child` listens on `port` (true), or exits
/// first (false: the port was taken, or it failed). Fails the test after 30 s.
pub fn listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        assert!(Instant::now() < deadline, "geoledger did not listen on {port} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Server {
    pub fn start(kafka_brokers: &str, mongodb_uri: &str) -> Self {
        Self::start_with(kafka_brokers, mongodb_uri, &[])
    }

    pub fn start_with(kafka_brokers: &str, mongodb_uri: &str, env: &[(String, String)]) -> Self {
        // A free port can be taken by a parallel test between picking and binding:
        // then the server exits at once, and we try another port.
        for _ in 0..5 {
            if let Some(server) = Self::try_start(kafka_brokers, mongodb_uri, env) {
                return server;
            }
        }
        panic!("geoledger did not start on any of 5 ports");
    }

    fn try_start(kafka_brokers: &str, mongodb_uri: &str, env: &[(String, String)]) -> Option<Self> {
        let port = free_port();
        // Never the real topics or consumer group: a prefix of the test's own by default.
        let db = mongodb_uri.rsplit('/').next().unwrap_or("test").to_string();
        let mut command = Command::new(env!("CARGO_BIN_EXE_geoledger"));
        command
            .arg("serve")
            .env("GEOLEDGER_LISTEN", format!("127.0.0.1:{port}"))
            .env("GEOLEDGER_KAFKA_BROKERS", kafka_brokers)
            .env("GEOLEDGER_MONGODB_URI", mongodb_uri)
            .env("GEOLEDGER_LOG", "warn")
            .env("GEOLEDGER_TOPIC_PREFIX", format!("{db}."));
        soak_logging(&mut command, &format!("server-{db}-{port}.log"));
        let child = command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .spawn()
            .expect("start geoledger");
        let mut server = Server { child, base_url: format!("http://127.0.0.1:{port}") };
        if !listening(&mut server.child, port) {
            return None;
        }
        // What answered may have been another test's server: ours must still run.
        std::thread::sleep(Duration::from_millis(300));
        if server.child.try_wait().ok().flatten().is_some() {
            return None;
        }
        Some(server)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Ends the process at once, as a crash would (nothing is committed on the way out).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits for it: it must be gone
    /// within 30 s, open live streams or not. How long it took, and whether it
    /// exited with success.
    pub fn stop(mut self) -> (Duration, bool) {
        let asked = Instant::now();
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (asked.elapsed(), status.success());
            }
            if asked.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("geoledger did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What `scripts/soak` asks of every server a test starts: its log level
/// (`GEOLEDGER_TEST_SERVER_LOG`), librdkafka's debug contexts for the
/// clients (`GEOLEDGER_TEST_KAFKA_DEBUG`), and its log in a file of
/// `GEOLEDGER_TEST_LOG_DIR` rather than the test's output. Nothing when unset.
fn soak_logging(command: &mut Command, file_name: &str) {
    if let Ok(level) = std::env::var("GEOLEDGER_TEST_SERVER_LOG") {
        command.env("GEOLEDGER_LOG", level);
    }
    if let Ok(contexts) = std::env::var("GEOLEDGER_TEST_KAFKA_DEBUG") {
        command.env("GEOLEDGER_KAFKA_DEBUG", contexts);
    }
    if let Ok(dir) = std::env::var("GEOLEDGER_TEST_LOG_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::File::create(PathBuf::from(dir).join(file_name)).unwrap();
        command.stderr(file);
    }
}

/// Runs `geoledger ARGS` to completion with these variables; returns stdout.
pub fn cli(args: &[&str], env: &[(String, String)]) -> String {
    let (ok, stdout, stderr) = cli_outcome(args, env);
    assert!(ok, "geoledger {args:?} failed: {stderr}");
    stdout
}

/// Runs `geoledger ARGS` to completion: whether it succeeded, its stdout and its stderr.
pub fn cli_outcome(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_geoledger"))
        .args(args)
        .env("GEOLEDGER_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run geoledger");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// One test's world: its own topics (by prefix) and database, on the shared
/// services unless given a broker of its own.
#[derive(Clone)]
pub struct World {
    pub name: String,
    pub brokers: String,
    pub mongodb_uri: String,
    pub prefix: String,
    pub extra: Vec<(String, String)>,
}

impl World {
    pub fn new(name: &str) -> Self {
        Self::on(name, &shared_kafka())
    }

    pub fn on(name: &str, brokers: &str) -> Self {
        let mongodb_uri = private_mongo_uri(name);
        let db = mongodb_uri.rsplit('/').next().unwrap().to_string();
        World {
            name: name.into(),
            brokers: brokers.into(),
            mongodb_uri,
            prefix: format!("{db}."),
            extra: vec![
                ("GEOLEDGER_TOPIC_PARTITIONS".into(), "3".into()),
                ("GEOLEDGER_ADMIN_EMAIL".into(), "admin@geoledger.test".into()),
                ("GEOLEDGER_ADMIN_PASSWORD".into(), "not-used-by-these-tests".into()),
            ],
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.extra.push((key.into(), value.into()));
        self
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("GEOLEDGER_KAFKA_BROKERS".to_string(), self.brokers.clone()),
            ("GEOLEDGER_MONGODB_URI".to_string(), self.mongodb_uri.clone()),
            ("GEOLEDGER_TOPIC_PREFIX".to_string(), self.prefix.clone()),
        ];
        env.extend(self.extra.iter().cloned());
        env
    }

    pub fn server(&self) -> Server {
        Server::start_with(&self.brokers, &self.mongodb_uri, &self.env())
    }

    pub fn topic(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// A fresh API token (made with `geoledger token create`).
    pub fn token(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("test-{}", N.fetch_add(1, Ordering::Relaxed));
        cli(&["token", "create", "--name", &name], &self.env()).trim().to_string()
    }

    /// Drops this world's database and deletes its topics (when the test is done).
    fn clean_up(&self) {
        let (uri, brokers, prefix) = (self.mongodb_uri.clone(), self.brokers.clone(), self.prefix.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                if let Ok(client) = mongodb::Client::with_uri_str(&uri).await {
                    if let Some(db) = client.default_database() {
                        let _ = tokio::time::timeout(Duration::from_secs(5), db.drop()).await;
                    }
                }
                use rdkafka::admin::{AdminClient, AdminOptions};
                let admin: Result<AdminClient<rdkafka::client::DefaultClientContext>, _> =
                    rdkafka::ClientConfig::new().set("bootstrap.servers", &brokers).create();
                if let Ok(admin) = admin {
                    let topics: Vec<String> = ["city-updates", "pincode-updates", "location-updates.DLT"]
                        .iter()
                        .map(|t| format!("{prefix}{t}"))
                        .collect();
                    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(5)));
                    let _ = tokio::time::timeout(Duration::from_secs(10), admin.delete_topics(&names, &options)).await;
                    // Its consumer group too, so a shared broker lists no leftovers.
                    let group = format!("{prefix}geoledger-materializer");
                    let _ =
                        tokio::time::timeout(Duration::from_secs(10), admin.delete_groups(&[&group], &options)).await;
                }
            });
        })
        .join();
    }

    pub async fn db(&self) -> mongodb::Database {
        let client = mongodb::Client::with_uri_str(&self.mongodb_uri).await.unwrap();
        client.default_database().unwrap()
    }
}

/// A world owns its database and topics; they go when the test ends. (Clones —
/// the same world seen by a second server — leave that to the original.)
pub struct Owned(pub World);

impl std::ops::Deref for Owned {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.clean_up();
    }
}

/// A small REST client that speaks the API with a token.
pub struct Api {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(server: &Server, token: &str) -> Self {
        Self::at(&server.base_url, token)
    }

    /// The API of a server at `base` (`http://127.0.0.1:PORT`) started some other way.
    pub fn at(base: &str, token: &str) -> Self {
        Api { base: base.into(), token: token.into(), http: reqwest::Client::new() }
    }

    /// Opens the live stream (`/api/v1/stream`) as this token's holder; read it
    /// with `next_event` or `events_for`.
    pub async fn stream(&self) -> reqwest::Response {
        let response = self.http.get(format!("{}/api/v1/stream", self.base)).bearer_auth(&self.token).send().await;
        response.expect("the live stream opens")
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        let code = res.status().as_u16();
        let text = res.text().await.unwrap();
        (code, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// POSTs a raw body (a CSV file, say) with its content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let url = format!("{}{}", self.base, path);
        let res = self.http.post(url).bearer_auth(&self.token).header("content-type", content_type).body(body);
        let res = res.send().await.expect("request");
        let code = res.status().as_u16();
        let text = res.text().await.unwrap();
        (code, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// GETs a body as text (a CSV download, say): status, content type, text.
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let (code, headers, text) = self.download(path).await;
        let kind = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (code, kind, text)
    }

    /// GETs a download whole: status, its headers, its text.
    pub async fn download(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let res =
            self.http.get(format!("{}{}", self.base, path)).bearer_auth(&self.token).send().await.expect("request");
        let (code, headers) = (res.status().as_u16(), res.headers().clone());
        (code, headers, res.text().await.expect("the whole body"))
    }

    /// Imports a CSV file through the API (`POST /api/v1/imports`) and waits
    /// until its job has ended (done, failed or interrupted): the job's report.
    pub async fn import(&self, csv: &[u8], query: &str, limit: Duration) -> serde_json::Value {
        let (code, job) = self.post_raw(&format!("/api/v1/imports?{query}"), "text/csv", csv.to_vec()).await;
        assert_eq!(code, 202, "{job}");
        self.wait_for_job(job["id"].as_str().unwrap(), limit).await
    }

    /// Waits until the import job has ended: its report.
    pub async fn wait_for_job(&self, id: &str, limit: Duration) -> serde_json::Value {
        self.eventually(&format!("/api/v1/imports/{id}"), limit, |code, b| {
            code == 200 && !matches!(b["job"]["status"].as_str(), Some("running" | "applying"))
        })
        .await
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Polls GET `path` until `ok` holds for (status, body), or panics after `limit`.
    pub async fn eventually(
        &self,
        path: &str,
        limit: Duration,
        ok: impl Fn(u16, &serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let (code, body) = self.get(path).await;
            if ok(code, &body) {
                return body;
            }
            assert!(started.elapsed() < limit, "GET {path} after {limit:?}: {code} {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A consumer of this world's topics that joins no one's group and commits nothing.
pub fn plain_consumer(world: &World) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", &world.brokers)
        .set("group.id", format!("{}inspector", world.prefix))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap()
}

/// How many messages a topic holds (the sum over its partitions). Read as the
/// server reads metadata (`settled`): a topic just made has no leader for a moment.
pub fn message_count(consumer: &BaseConsumer, topic: &str) -> i64 {
    let md = settled(|| consumer.fetch_metadata(Some(topic), Duration::from_secs(10))).unwrap();
    md.topics()[0]
        .partitions()
        .iter()
        .map(|p| {
            let (lo, hi) = settled(|| consumer.fetch_watermarks(topic, p.id(), Duration::from_secs(10))).unwrap();
            hi - lo
        })
        .sum()
}

/// The next server-sent event named `name` whose data passes `wanted`.
pub async fn next_event(
    stream: &mut reqwest::Response,
    text: &mut String,
    name: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        // Events are separated by a blank line; take whole ones off the front.
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
            if let (Some(event), Some(data)) = (event, data) {
                let data: Value = serde_json::from_str(data).unwrap();
                if event == name && wanted(&data) {
                    return data;
                }
            }
        }
        assert!(std::time::Instant::now() < deadline, "no `{name}` event as wanted; left: {text}");
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(1), stream.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        }
    }
}

/// Every server-sent event named `name` that arrives within `time`, as (event data).
pub async fn events_for(stream: &mut reqwest::Response, text: &mut String, name: &str, time: Duration) -> Vec<Value> {
    let (mut found, deadline) = (Vec::new(), Instant::now() + time);
    while Instant::now() < deadline {
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let event = block.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
            let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
            if let (Some(event), Some(data)) = (event, data) {
                if event == name {
                    found.push(serde_json::from_str(data).unwrap());
                }
            }
        }
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_millis(200), stream.chunk()).await {
            text.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        }
    }
    found
}

/// A topic's configuration value, from the body of `GET /api/v1/kafka/cluster`.
pub fn config_of<'v>(cluster: &'v Value, topic: &str, name: &str) -> Option<&'v str> {
    let t = cluster["cluster"]["topics"].as_array()?.iter().find(|t| t["name"] == topic)?;
    t["config"].as_array()?.iter().find(|c| c[0] == name).and_then(|c| c[1].as_str())
}

/// Signs in through the login server function as a browser form would; the
/// session cookie the server set, whole (name=value; attributes).
pub async fn sign_in(server: &Server, secure: bool, email: &str, password: &str) -> Option<String> {
    // Behind https the browser's Origin says https (the proxy in front speaks plain http to us).
    let origin = if secure { server.base_url.replacen("http://", "https://", 1) } else { server.base_url.clone() };
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client
        .post(server.url("/api/login"))
        .header("origin", origin)
        .form(&[("email", email), ("password", password), ("next", "/cities")])
        .send()
        .await
        .unwrap();
    response.headers().get("set-cookie").map(|c| c.to_str().unwrap().to_string())
}

/// The first admin is made just after the server starts: sign in once it is there.
pub async fn first_sign_in(server: &Server, secure: bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(cookie) = sign_in(server, secure, "ops@example.in", "a-long-password").await {
            return cookie;
        }
        assert!(std::time::Instant::now() < deadline, "the first admin could not sign in");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The `name=value` part of a Set-Cookie header: what a browser sends back.
pub fn session_of(cookie: &str) -> String {
    cookie.split(';').next().unwrap_or_default().trim().to_string()
}

/// Signs the session out through the logout server function, as the browser's
/// button does; asserts it was answered.
pub async fn sign_out(server: &Server, session: &str) {
    let out = reqwest::Client::new()
        .post(server.url("/api/logout"))
        .header("origin", &server.base_url)
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success() || out.status().is_redirection(), "sign-out: {}", out.status());
}

/// The message a 422's body gives for `field` (`{"errors": [{field, message}]}`).
pub fn field_error<'b>(body: &'b serde_json::Value, field: &str) -> &'b str {
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("no field errors: {body}"));
    let error = errors.iter().find(|e| e["field"] == field).unwrap_or_else(|| panic!("no {field}: {body}"));
    error["message"].as_str().unwrap()
}
