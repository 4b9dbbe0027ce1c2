//! Test harness: real services only. A test gets its own database (and, where it
//! needs to stop one, its own Kafka broker started by scripts/services), and runs
//! the real `geoledger` binary against them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The shared broker that scripts/services started.
pub fn shared_kafka() -> String {
    std::env::var("GEOLEDGER_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A MongoDB URI naming a database no other test uses.
pub fn private_mongo_uri(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = std::env::var("GEOLEDGER_TEST_MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into());
    format!(
        "{}/test_{}_{}_{}",
        base.trim_end_matches('/'),
        test,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Kafka broker of this test's own, run by `scripts/services` with its own data
/// folder and ports, so the test may stop and start it without disturbing others.
pub struct PrivateKafka {
    data: tempfile::TempDir,
    pub port: u16,
    controller_port: u16,
}

impl PrivateKafka {
    pub fn start() -> Self {
        let k = PrivateKafka { data: tempfile::tempdir().unwrap(), port: free_port(), controller_port: free_port() };
        k.services("start");
        k
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn stop(&self) {
        self.services("stop");
    }

    pub fn restart(&self) {
        self.services("start");
    }

    fn services(&self, action: &str) {
        let status = Command::new(repo_root().join("scripts/services"))
            .args([action, "kafka"])
            .env("GEOLEDGER_DATA_DIR", self.data.path())
            .env("GEOLEDGER_KAFKA_PORT", self.port.to_string())
            .env("GEOLEDGER_KAFKA_CONTROLLER_PORT", self.controller_port.to_string())
            .status()
            .expect("run scripts/services");
        assert!(status.success(), "scripts/services {action} kafka failed");
    }
}

impl Drop for PrivateKafka {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The real `geoledger serve`, on a free port.
pub struct Server {
    child: Child,
    pub base_url: String,
}

impl Server {
    pub fn start(kafka_brokers: &str, mongodb_uri: &str) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_geoledger"))
            .arg("serve")
            .env("GEOLEDGER_LISTEN", format!("127.0.0.1:{port}"))
            .env("GEOLEDGER_KAFKA_BROKERS", kafka_brokers)
            .env("GEOLEDGER_MONGODB_URI", mongodb_uri)
            .env("GEOLEDGER_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .expect("start geoledger");
        let server = Server { child, base_url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "geoledger did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
