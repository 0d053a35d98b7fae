//! The broadcast servers under test, and starting one: a Rust binary, the
//! Python or Node peer from the directory `fanout.sh` installed them in, or
//! ours as two nodes sharing rooms through a redis-server of its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::compare::listening;
use crate::compare::pinned;

/// How a server is started.
#[derive(Clone, Copy, Debug)]
pub enum Program {
    /// A binary of the workspace, with these arguments.
    Binary(&'static str, &'static [&'static str]),
    /// `venv/bin/python broadcast.py` in the peer directory.
    Python,
    /// `node broadcast.js` in the peer directory.
    Node,
    /// Two `ws-server` nodes with `--redis`, and the redis-server.
    OursRedis,
}

/// One broadcast server under test.
#[derive(Clone, Copy, Debug)]
pub struct BroadcastSpec {
    /// Short name in the tables.
    pub name: &'static str,
    /// How to start it.
    pub program: Program,
}

const OURS_ARGS: &[&str] = &[
    "--threads",
    "1",
    "--log",
    "warn",
    "--max-connections",
    "30000",
];

/// Ours and the peers, ours first.
pub const BROADCAST_SERVERS: [BroadcastSpec; 6] = [
    BroadcastSpec {
        name: "ours",
        program: Program::Binary("ws-server", OURS_ARGS),
    },
    BroadcastSpec {
        name: "tokio-tungstenite",
        program: Program::Binary("broadcast-tungstenite", &[]),
    },
    BroadcastSpec {
        name: "fastwebsockets",
        program: Program::Binary("broadcast-fastwebsockets", &[]),
    },
    BroadcastSpec {
        name: "python-websockets",
        program: Program::Python,
    },
    BroadcastSpec {
        name: "node-ws",
        program: Program::Node,
    },
    BroadcastSpec {
        name: "ours-redis",
        program: Program::OursRedis,
    },
];

/// The workspace binaries the selected servers need.
pub(super) fn binaries(specs: &[&BroadcastSpec]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for spec in specs {
        let name = match spec.program {
            Program::Binary(binary, _) => binary,
            Program::OursRedis => "ws-server",
            Program::Python | Program::Node => continue,
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A running server (all its processes), killed when dropped.
pub(super) struct Running {
    pub(super) spec: BroadcastSpec,
    /// Every process of it (two nodes and Redis for `ours-redis`).
    children: Vec<Child>,
    /// The generator's `--url`: one base URL, or one per node.
    pub(super) url: String,
}

impl Running {
    /// The PIDs whose CPU and memory count as the server's.
    pub(super) fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts a server (pinned to core 0 when `pin`) and waits until it listens.
pub(super) fn start(
    spec: &BroadcastSpec,
    bin_dir: &Path,
    peer_dir: &Path,
    pin: bool,
) -> std::io::Result<Running> {
    let mut children = Vec::new();
    let mut urls = Vec::new();
    let mut spawn = |program: PathBuf, args: Vec<String>, dir: Option<&Path>| {
        let mut cmd = pinned(pin, 0, &program);
        // The script of the Python and Node peers comes before `--listen`.
        cmd.args(args).args(["--listen", "127.0.0.1:0"]);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let (child, addr) = listening(cmd, &program)?;
        children.push(child);
        urls.push(format!("ws://{addr}"));
        Ok::<(), std::io::Error>(())
    };
    match spec.program {
        Program::Binary(binary, args) => spawn(
            bin_dir.join(binary),
            args.iter().map(|a| (*a).to_owned()).collect(),
            None,
        )?,
        Program::Python => spawn(
            peer_dir.join("venv/bin/python"),
            vec![peer_dir.join("broadcast.py").display().to_string()],
            None,
        )?,
        Program::Node => spawn(
            PathBuf::from("node"),
            vec!["broadcast.js".to_owned()],
            Some(peer_dir),
        )?,
        Program::OursRedis => {
            let (redis, redis_url) = redis(pin)?;
            let mut args: Vec<String> = OURS_ARGS.iter().map(|a| (*a).to_owned()).collect();
            args.extend(["--redis".to_owned(), redis_url]);
            for _ in 0..2 {
                spawn(bin_dir.join("ws-server"), args.clone(), None)?;
            }
            children.push(redis);
        }
    }
    Ok(Running {
        spec: *spec,
        children,
        url: urls.join(","),
    })
}

/// A redis-server of the run's own on a free port, no persistence, pinned
/// with the servers; waits until it answers.
fn redis(pin: bool) -> std::io::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = pinned(pin, 0, Path::new("redis-server"))
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("redis-server: {e}")))?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((child, format!("redis://127.0.0.1:{port}")));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(std::io::Error::other("redis-server did not start"))
}
