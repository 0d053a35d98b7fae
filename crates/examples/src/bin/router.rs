//! Routing on the path, with parameters: one port, several WebSocket
//! endpoints, and a plain HTTP 404 for everything else.
//!
//! ```text
//! cargo run -p ws-examples --bin router -- 127.0.0.1:9005
//! ```
//!
//! | route | what the handler does |
//! |---|---|
//! | `/light/{status}` | `status` is `on` or `off`: says `the light is on` (or off), closes with 1000 |
//! | `/echo` | sends every message back |
//! | `/rooms/{name}` | says `welcome to room NAME`, then echoes text as `[NAME] text` |
//! | anything else | `404 Not Found`, without upgrading |
//!
//! The route must be chosen before the handshake is answered, since a 404
//! is an answer *instead of* the 101. So the server reads the request head
//! itself ([`ws_tokio::read_request`]), looks at its path, and only then
//! calls [`ws_tokio::upgrade`] or writes the 404. `ws-server` routes its
//! `/echo` and `/chat/{room}` the same way.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_tokio::ws_handshake::http_response;
use ws_tokio::{Accept, CloseCode, Config, Message, WebSocket};

// ANCHOR: router
/// Where a request goes, with the parameters taken from its path.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Light(&'static str),
    Echo,
    Room(String),
}

/// Tries the patterns in order; `None` is a 404.
fn route(path: &str) -> Option<Route> {
    if let Some([status]) = matches("/light/{status}", path).as_deref() {
        return match *status {
            "on" => Some(Route::Light("on")),
            "off" => Some(Route::Light("off")),
            _ => None,
        };
    }
    if matches("/echo", path).is_some() {
        return Some(Route::Echo);
    }
    if let Some([name]) = matches("/rooms/{name}", path).as_deref() {
        return Some(Route::Room((*name).to_owned()));
    }
    None
}

/// Matches `path` against `pattern` segment by segment. A `{param}`
/// segment matches any one non-empty segment, whose text is returned in
/// order; any other segment must be equal. `None`: no match.
fn matches<'a>(pattern: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let mut params = Vec::new();
    let mut segments = path.split('/');
    for expected in pattern.split('/') {
        let segment = segments.next()?;
        if expected.starts_with('{') && expected.ends_with('}') {
            if segment.is_empty() {
                return None;
            }
            params.push(segment);
        } else if expected != segment {
            return None;
        }
    }
    // A longer path (`/echo/more`) is not a match.
    segments.next().is_none().then_some(params)
}
// ANCHOR_END: router

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9005")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(tcp));
    }
}

// ANCHOR: serve
/// Reads the request, routes it, and upgrades only if a route matched.
async fn serve(mut tcp: TcpStream) {
    let config = Config::default();
    let Ok((request, leftover)) = ws_tokio::read_request(&mut tcp, &config).await else {
        return; // a malformed request was answered (400/431) already
    };
    let Some(route) = route(request.path()) else {
        let not_found = http_response(404, &[("Content-Type", "text/plain")], b"not found\n");
        let _ = tcp.write_all(&not_found).await;
        let _ = tcp.shutdown().await;
        return;
    };
    // Not a valid upgrade (e.g. a plain GET /echo): 400 or 426 was sent.
    let Ok(ws) = ws_tokio::upgrade(tcp, &request, leftover, config, Accept::default()).await else {
        return;
    };
    let _ = match route {
        Route::Light(status) => light(ws, status).await,
        Route::Echo => echo(ws, None).await,
        Route::Room(name) => echo(ws, Some(&name)).await,
    };
}
// ANCHOR_END: serve

/// `/light/{status}`: one message, then the closing handshake.
async fn light<S>(mut ws: WebSocket<S>, status: &str) -> Result<(), ws_tokio::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::text(format!("the light is {status}")))
        .await?;
    ws.close(CloseCode::NORMAL, "switched").await
}

/// `/echo` and `/rooms/{name}`: every message back, text prefixed with
/// the room's name when there is one.
async fn echo<S>(mut ws: WebSocket<S>, room: Option<&str>) -> Result<(), ws_tokio::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(room) = room {
        ws.send(Message::text(format!("welcome to room {room}")))
            .await?;
    }
    while let Some(message) = ws.recv().await {
        let reply = match (message?, room) {
            (Message::Text(text), Some(room)) => Message::text(format!("[{room}] {text}")),
            (message, _) if message.is_data() => message,
            _ => continue, // Ping, Pong, Close: handled by `recv`
        };
        ws.send(reply).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Route, route};

    #[test]
    fn paths_route_with_their_parameters() {
        assert_eq!(route("/light/on"), Some(Route::Light("on")));
        assert_eq!(route("/echo"), Some(Route::Echo));
        assert_eq!(route("/rooms/attic"), Some(Route::Room("attic".into())));
        for missing in [
            "/",
            "/light/dim",
            "/light",
            "/echo/x",
            "/rooms/",
            "/rooms/a/b",
        ] {
            assert_eq!(route(missing), None, "{missing}");
        }
    }
}
