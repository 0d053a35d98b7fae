//! A real `redis-server` for the `--redis` tests: started on a free port
//! as a child process (no persistence), killed on drop.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Server;

/// Every wait: generous, only there so that a bug fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The presence TTL given to the nodes (`--redis-presence-ttl`).
pub const TTL_SECS: u64 = 2;

/// A `redis-server` child process on 127.0.0.1, killed on drop.
pub struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    /// Starts `redis-server` on a free port, or returns `None` (after
    /// saying why) when it is not installed and this is not CI.
    pub fn start() -> Option<Self> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "redis-server is missing, and CI=true: .ci/run should have installed it"
            );
            eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self { child: None, port };
        redis.restart();
        Some(redis)
    }

    /// The port it listens on (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// (Re)starts the server on the same port and waits until it answers.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The answer of `redis-cli` to `args` (one command), trimmed.
    #[allow(dead_code)]
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("run redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Kills the server (SIGKILL): everything in it is lost.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A node with `--redis` and `extra` options, once its `/healthz` says `ok`.
pub fn node(redis: &Redis, extra: &[&str]) -> Server {
    let ttl = TTL_SECS.to_string();
    let url = redis.url();
    let mut args = vec!["--redis", &url, "--redis-presence-ttl", &ttl];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    wait_health(&server, "ok");
    server
}

/// Polls `/healthz` until its body is `body` (always with 200).
pub fn wait_health(server: &Server, body: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, text) = server.get("/healthz");
        assert_eq!(status, 200, "{text}");
        if text.ends_with(&format!("\r\n\r\n{body}")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/healthz never said {body:?}: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
