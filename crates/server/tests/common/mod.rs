//! Drives the real `ws-server` binary through its interface
//! (`docs/server-interface.md`): a child process, raw TCP, hand-made
//! frames. Nothing here uses the project's own crates, so the tests check
//! the wire, not our understanding of it.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

pub mod chat;
pub mod logs;
pub mod proxy;
pub mod redis;
pub mod slow;
pub mod tls;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The options that select the transport: `WS_SERVER_TRANSPORT=io-uring`
/// runs the same tests against `ws-server --io-uring` (a build with the
/// `io-uring` feature; `.ci/run` does it for `--test contract`, whose
/// routes that transport serves). Unset or `tokio`: the default transport.
fn transport_args() -> &'static [&'static str] {
    match std::env::var("WS_SERVER_TRANSPORT").as_deref() {
        Ok("io-uring") => &["--io-uring"],
        Ok("tokio") | Err(_) => &[],
        Ok(other) => panic!("WS_SERVER_TRANSPORT={other:?}: expected io-uring or tokio"),
    }
}

/// A running `ws-server`, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the binary on a free port with extra options and waits for its
    /// `listening on http://ADDR` (or `https://`) line.
    pub fn start(args: &[&str]) -> Self {
        // WS_SERVER_BIN runs the tests against another build (e.g. release,
        // to measure memory).
        let bin = std::env::var("WS_SERVER_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ws-server").to_owned());
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(transport_args())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ws-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .split("listening on ")
            .nth(1)
            .and_then(|url| url.split("://").nth(1))
            .unwrap_or_else(|| panic!("no listening line: {line:?}"))
            .trim()
            .parse()
            .expect("address");
        Self { child, addr }
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        stream
    }

    /// Resident memory of the server in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// A plain HTTP GET; returns the status and the whole response.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.request(&format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"))
    }

    /// Sends raw request bytes and reads the answer until the server closes.
    pub fn request(&self, raw: &str) -> (u16, String) {
        let mut stream = self.connect();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        (status_of(&text), text)
    }

    /// Polls /metrics until `needle` appears (or 10 s pass).
    pub fn wait_for_metric(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, text) = self.get("/metrics");
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A valid upgrade request for `path` with extra header lines.
pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Opens a WebSocket to `path` and checks the 101 answer.
pub fn open(server: &Server, path: &str) -> TcpStream {
    let mut stream = server.connect();
    stream
        .write_all(upgrade_request(path, "").as_bytes())
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    stream
}

/// Reads an HTTP head byte by byte, so no frame byte after it is consumed.
pub fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("read head");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// A client frame: `b0` is the first header byte (FIN, RSV, opcode).
pub fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut out = vec![b0];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | u8::try_from(n).unwrap()),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Reads one server frame: (first header byte, payload). Asserts it is unmasked.
pub fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0; 2];
    stream.read_exact(&mut head).expect("frame header");
    assert_eq!(
        head[1] & 0x80,
        0,
        "server frames are never masked (RFC 6455 §5.1)"
    );
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0; 2];
            stream.read_exact(&mut b).unwrap();
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0; 8];
            stream.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0; usize::try_from(len).unwrap()];
    stream.read_exact(&mut payload).expect("frame payload");
    (head[0], payload)
}

/// Reads frames until a Close arrives; returns its code (None: empty body).
pub fn read_close(stream: &mut TcpStream) -> Option<u16> {
    loop {
        let (b0, payload) = read_frame(stream);
        if b0 & 0x0f == 0x8 {
            return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
}

/// Whether the server closed the TCP connection (EOF or reset) within the read timeout.
pub fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}
