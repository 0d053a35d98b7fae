//! Sans-IO WebSocket opening handshake (RFC 6455 §4) for both roles.
//!
//! This crate does no IO: bytes go in, parsed values or bytes come out. The
//! caller owns the socket and the read buffer.
//!
//! ```text
//! server:  bytes read ──► Request::parse ──► Ok(None): read more, call again
//!                              │ Ok(Some((request, consumed)))
//!                              ▼
//!                         Request::validate ──► Err(e) ──► e.to_response()  (400/426/431) ──► write
//!                              │ Ok(Upgrade)
//!                              ▼
//!                         accept_response ──► "101 Switching Protocols" ──► write
//!
//! client:  Url::parse ──► ClientRequest::new(..).protocol(..) ──► encode() ──► write
//!          bytes read ──► ClientRequest::parse_response ──► Ok(None): read more, call again
//!                              │ Ok(Some((response, consumed)))     Err(Status{..}): 401, 3xx, …
//!                              ▼
//! both:    buf[consumed..] is the start of the WebSocket frame stream
//!
//! HTTP/2 (RFC 8441), the HTTP/2 library decodes the head:
//! server:  ConnectRequest { :method, :protocol, … } ──► validate ──► Err(e): e.status(), e.response_headers()
//!                              │ Ok(ConnectUpgrade)
//!                              ▼
//!                         connect_response ──► 200 + header fields ──► the stream's DATA are frames
//! client:  ClientConnect::new(&url) ──► request() ──► (HTTP/2 library) ──► check_response(status, headers)
//! ```
//!
//! Over HTTP/2 the frames are the same as over HTTP/1.1 (RFC 8441 §5: once
//! the 2xx is sent, the stream's data are the WebSocket's bytes), so
//! `ws-frame` needs no change; only the handshake differs.
//!
//! Heads up! Before working on this crate, read RFC 6455 §4 (opening
//! handshake), §9.1 (extension grammar) and §11.3 (the header fields). Every
//! rule enforced here carries the RFC sentence right above its check.
//!
//! Both parsers are incremental in the style of `httparse`: `Ok(None)` means
//! "need more bytes" (never an error), and `consumed` counts the bytes of the
//! HTTP head including its final empty line. Whatever follows already belongs
//! to the WebSocket stream and must be handed to the frame layer.
//!
//! # Example
//!
//! ```
//! use ws_handshake::{accept_response, ClientRequest, Limits, Request, Url};
//!
//! let limits = Limits::default();
//!
//! // Client: build the request.
//! let url = Url::parse("ws://example.com/chat?room=1")?;
//! let client = ClientRequest::new(&url).protocol("chat");
//! let request_bytes = client.encode();
//!
//! // Server: parse it (here in one go), validate it, answer 101.
//! let (request, consumed) = Request::parse(&request_bytes, &limits)?.expect("complete head");
//! assert_eq!(consumed, request_bytes.len());
//! assert_eq!(request.path(), "/chat");
//! let upgrade = request.validate()?;
//! let chosen = upgrade.protocols.first().map(String::as_str);
//! let mut response_bytes = accept_response(&upgrade, chosen, None, &[]);
//! response_bytes.extend_from_slice(b"\x81\x02hi"); // a first frame in the same read
//!
//! // Client: validate the server's answer; the frame stays in the buffer.
//! let (response, consumed) = client.parse_response(&response_bytes, &limits)?.expect("complete");
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.protocol(), Some("chat"));
//! assert_eq!(&response_bytes[consumed..], b"\x81\x02hi");
//! # Ok::<(), ws_handshake::Error>(())
//! ```
#![forbid(unsafe_code)]

// Modules from the leaves up, in layers: each imports only modules of the
// layers above its own (`python3 docs/tools/module_graph.py` prints the graph).
mod head;
mod key;
mod limits;

mod response;

mod error;

mod header;
mod negotiate;
mod parse;
mod url;

mod client;
mod connect;
mod server;

mod connect_client;

pub use client::{ClientRequest, Response};
pub use connect::{
    ConnectRequest, ConnectUpgrade, SETTINGS_ENABLE_CONNECT_PROTOCOL, connect_response,
};
pub use connect_client::{ClientConnect, ConnectResponse};
pub use error::Error;
pub use head::Header;
pub use header::{ExtensionOffer, format_extensions, parse_extensions, parse_protocols};
pub use key::{GUID, accept_key};
pub use limits::Limits;
pub use response::{http_response, reason_phrase};
pub use server::{Request, Upgrade, accept_response};
pub use url::Url;
