//! What every example's test needs: start the program on a free port, read
//! the address it printed, and receive with a bound so that a broken
//! program fails the test instead of hanging it.
#![allow(dead_code, unreachable_pub)] // Not every test file uses every helper.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ws_tokio::ws_handshake::ConnectResponse;
use ws_tokio::{Message, WebSocket};

/// Generous bound for anything that should happen "soon".
pub const SOON: Duration = Duration::from_secs(10);

/// A running example program, killed when dropped.
pub struct Program {
    child: Child,
    /// What the program printed after `listening on `, e.g. `ws://127.0.0.1:40123`.
    pub url: String,
}

impl Program {
    /// Starts `exe` with `args` (the last being the listen address
    /// `127.0.0.1:0`) and waits for its `listening on URL` line.
    pub fn start(exe: &str, args: &[&str]) -> Self {
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {exe}: {e}"));
        // Read the line on a thread, so that a program that never prints
        // it fails the test instead of hanging it.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let Ok(line) = rx.recv_timeout(SOON) else {
            let _ = child.kill();
            panic!("{exe} printed no line within {SOON:?}");
        };
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{exe} printed {line:?}, not `listening on URL`"))
            .to_owned();
        Self { child, url }
    }

    /// `host:port` of the listening socket.
    pub fn addr(&self) -> &str {
        self.url.split_once("://").map_or(&self.url, |(_, a)| a)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next message, which must arrive within [`SOON`].
pub async fn next<S>(ws: &mut WebSocket<S>) -> Message
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(SOON, ws.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(other) => panic!("expected a message, got {other:?}"),
        Err(_) => panic!("no message within {SOON:?}"),
    }
}

/// The next message, which must be text.
pub async fn next_text<S>(ws: &mut WebSocket<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match next(ws).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// The WebSocket an HTTP/2 connection's stream becomes.
pub type H2WebSocket = WebSocket<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// Opens a WebSocket to `ws://addr/path` as a stream of a new HTTP/2
/// connection (h2c prior knowledge, RFC 8441 extended CONNECT), built and
/// checked by ws-handshake's client role. Returns the socket and the
/// server's answer.
pub async fn h2_connect(
    addr: &str,
    path: &str,
    protocols: &[&str],
) -> (H2WebSocket, ConnectResponse) {
    use http_body_util::Empty;
    use hyper::body::Bytes;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use ws_tokio::ws_handshake::{ClientConnect, Header, Url};

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    // RFC 8441 §3: extended CONNECT only once the server's SETTINGS have
    // allowed it; the answer to a first plain request proves they arrived.
    let warm_up = hyper::Request::get(format!("http://{addr}/"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    send.send_request(warm_up).await.unwrap();

    let url = Url::parse(&format!("ws://{addr}{path}")).unwrap();
    let client = protocols
        .iter()
        .fold(ClientConnect::new(&url), |c, p| c.protocol(p));
    let request = client.request();
    let uri = format!(
        "{}://{}{}",
        request.scheme.as_deref().unwrap_or("http"),
        request.authority.as_deref().unwrap_or(addr),
        request.path.as_deref().unwrap_or("/")
    );
    let mut builder = hyper::Request::builder()
        .method(hyper::Method::CONNECT)
        .uri(uri)
        .extension(hyper::ext::Protocol::from_static("websocket"));
    for header in &request.headers {
        builder = builder.header(header.name.as_str(), header.value.as_slice());
    }
    let response = send
        .send_request(builder.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let headers: Vec<Header> = response
        .headers()
        .iter()
        .map(|(n, v)| Header {
            name: n.as_str().to_owned(),
            value: v.as_bytes().to_vec(),
        })
        .collect();
    let checked = client
        .check_response(response.status().as_u16(), &headers)
        .unwrap();
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let socket = WebSocket::from_raw(
        TokioIo::new(upgraded),
        ws_tokio::Role::Client,
        ws_tokio::Config::default(),
        ws_tokio::bytes::BytesMut::new(),
    );
    (socket, checked)
}
