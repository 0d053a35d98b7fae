//! The servers under test: which binaries with which arguments, starting
//! one and reading the address it listens on, and the private copy of the
//! binaries a comparison runs from.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::taskset;

/// One server under test.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// Short name in the tables.
    pub name: &'static str,
    /// Binary name in the build directory.
    pub binary: &'static str,
    /// Arguments after `--listen ADDR`.
    pub args: &'static [&'static str],
}

/// Our server and the three peers, ours first. `ours-uring` is our server
/// on its io_uring transport (`--io-uring`): select it instead of `ours`
/// (the first server selected is the one the ratio columns are about).
pub const SERVERS: [ServerSpec; 5] = [
    ServerSpec {
        name: "ours",
        binary: "ws-server",
        args: &[
            "--threads",
            "1",
            "--log",
            "warn",
            "--max-connections",
            "30000",
        ],
    },
    ServerSpec {
        name: "ours-uring",
        binary: "ws-server",
        args: &[
            "--io-uring",
            "--threads",
            "1",
            "--log",
            "warn",
            "--max-connections",
            "30000",
        ],
    },
    ServerSpec {
        name: "tokio-tungstenite",
        binary: "peer-tungstenite",
        args: &[],
    },
    ServerSpec {
        name: "fastwebsockets",
        binary: "peer-fastwebsockets",
        args: &[],
    },
    ServerSpec {
        name: "tokio-websockets",
        binary: "peer-tokio-websockets",
        args: &[],
    },
];

/// A running server, killed when dropped.
pub(super) struct Running {
    pub(super) spec: ServerSpec,
    pub(super) child: Child,
    /// Its `/echo` endpoint.
    pub(super) url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server on a free port (pinned to core 0 when `pin`) and waits
/// for its `listening on http://ADDR` line.
pub(super) fn start(spec: &ServerSpec, bin_dir: &Path, pin: bool) -> std::io::Result<Running> {
    let program = bin_dir.join(spec.binary);
    let mut cmd = taskset::command(pin, 0, &program);
    cmd.args(["--listen", "127.0.0.1:0"]).args(spec.args);
    let (child, addr) = listening(cmd, &program)?;
    Ok(Running {
        spec: spec.clone(),
        child,
        url: format!("ws://{addr}/echo"),
    })
}

/// Spawns `cmd` and reads its stdout up to `listening on http://ADDR`:
/// the child and `ADDR`. Every server under test, ours and the peers',
/// prints that line once it accepts connections.
pub(crate) fn listening(mut cmd: Command, program: &Path) -> std::io::Result<(Child, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(line) = lines.next().transpose()? else {
            let _ = child.kill();
            return Err(std::io::Error::other(format!(
                "{} exited before printing `listening on`",
                program.display()
            )));
        };
        if let Some((_, rest)) = line.split_once("listening on http://") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    // Keep draining stdout so that a chatty server never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, addr))
}

/// Copies the binaries of a run (this one and the servers) into a private
/// directory, so that a rebuild of the workspace during a long comparison
/// (a neighbour running `cargo build --release`) cannot pull them away.
pub(crate) struct Snapshot {
    pub(crate) dir: PathBuf,
}

impl Snapshot {
    /// Copies this binary and `binaries` (names in `bin_dir`).
    pub(crate) fn take(bin_dir: &Path, binaries: &[&str]) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("ws-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(std::env::current_exe()?, dir.join("ws-bench"))?;
        for binary in binaries {
            let from = bin_dir.join(binary);
            std::fs::copy(&from, dir.join(binary))
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", from.display())))?;
        }
        Ok(Self { dir })
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
