//! A blocking WebSocket over [`std::net::TcpStream`]: no async runtime, no
//! timer thread, and no protocol rule of its own.
//!
//! It is the proof that time belongs to the sans-IO core. Keepalive Pings,
//! the idle timeout, the closing deadline and the end-of-connection order of
//! RFC 6455 §7.1.1 (the server closes TCP first, the client waits for it)
//! all come from [`Connection`]: this adapter reads with
//! [`TcpStream::set_read_timeout`] up to [`Connection::poll_timeout`], tells
//! the connection the time with [`Connection::handle_timeout`], writes what
//! it queued, and does what [`Connection::transport`] says. ws-tokio does
//! the same with a `tokio::time::Sleep`, so the two behave alike because
//! they share the rule, not a copy of it.
//!
//! ```text
//!   recv() ─► handle_timeout(now) ─► write poll_transmit() ─► transport()?
//!               ▲                                              │ Open: poll_event(), else
//!               └── read (timeout = poll_timeout() - now) ◄────┘ read and receive()
//! ```
//!
//! Used by the `blocking_echo` example and, through `#[path]`, by the timer
//! tests of ws-conformance, which run the same behaviours against ws-tokio.
#![allow(dead_code, unreachable_pub)] // Each user needs only part of it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ws_frame::Transport;
use ws_frame::{CloseCode, Config, Connection, Event, Role, Utf8Bytes};

/// What can end a [`WebSocket`].
#[derive(Debug)]
pub enum Error {
    /// Reading or writing the socket failed.
    Io(io::Error),
    /// The peer broke the protocol (our Close with its code was sent), or
    /// the stream ended without a Close (1006).
    Protocol(ws_frame::Error),
    /// This program asked to send what the protocol forbids (after a
    /// Close, a control payload over 125 bytes, …); nothing was sent.
    Send(ws_frame::SendError),
    /// The closing handshake was not over within the close timeout (§7.1.1).
    Timeout,
}

/// A WebSocket connection after the opening handshake, driven by blocking
/// calls: [`WebSocket::recv`] runs everything that happens without being
/// asked (the automatic Pong, the Close reply, the timers).
pub struct WebSocket {
    stream: TcpStream,
    conn: Connection,
    /// The last item (the peer's Close or the error) was handed out.
    ended: bool,
    /// `recv` returned `None`.
    done: bool,
}

impl WebSocket {
    /// Wraps a stream whose opening handshake is done; `leftover` holds
    /// the bytes read past the HTTP head (the first frames).
    pub fn new(stream: TcpStream, role: Role, config: Config, leftover: &[u8]) -> Self {
        let mut conn = Connection::new(role, config);
        conn.receive(leftover);
        Self {
            stream,
            conn,
            ended: false,
            done: false,
        }
    }

    /// The sans-IO connection (its state, its `rtt`).
    pub const fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Queues a text message and writes it out.
    ///
    /// # Errors
    /// The connection refused it (closed), or writing failed.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), Error> {
        self.conn.send_text(text).map_err(Error::Send)?;
        self.write_out()
    }

    /// Queues a binary message and writes it out.
    ///
    /// # Errors
    /// As [`WebSocket::send_text`].
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.conn.send_binary(data).map_err(Error::Send)?;
        self.write_out()
    }

    /// Starts the closing handshake (§7.1.2); keep calling
    /// [`WebSocket::recv`] to see it through.
    ///
    /// # Errors
    /// As [`WebSocket::send_text`].
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.conn.close(code, reason).map_err(Error::Send)?;
        self.write_out()
    }

    // ANCHOR: blocking_recv
    /// The next event, or `None` once the connection is finished. The end is
    /// reported once (the peer's Close, or an error), then the rest of the
    /// ending runs in the calls until `None`.
    pub fn recv(&mut self) -> Option<Result<Event, Error>> {
        let mut buf = [0; 8192];
        while !self.done {
            // One clock read per turn, and a turn is a blocking read.
            self.conn.handle_timeout(Instant::now());
            if self.conn.timed_out() && !self.ended {
                self.ended = true;
                return Some(Err(Error::Timeout));
            }
            let written = self.write_out();
            match self.conn.transport() {
                Transport::Open => {
                    if let Err(e) = written {
                        self.done = true;
                        return Some(Err(e));
                    }
                    match self.conn.poll_event() {
                        Ok(Some(event)) => return Some(Ok(self.deliver(event))),
                        Ok(None) => {}
                        Err(e) => {
                            self.ended = true;
                            return Some(Err(Error::Protocol(e)));
                        }
                    }
                    match self.read(&mut buf) {
                        Ok(Some(0)) => self.conn.receive_eof(),
                        Ok(Some(n)) => self.conn.receive(&buf[..n]),
                        Ok(None) => {}
                        Err(e) => {
                            self.done = true;
                            return Some(Err(Error::Io(e)));
                        }
                    }
                }
                // RFC 6455 §7.1.1: the server closes the TCP connection first.
                Transport::ShutDown => {
                    let _ = self.stream.shutdown(Shutdown::Write);
                    self.conn.transport_shut_down();
                }
                // The client waits for the server's EOF; after a failure
                // both drain, so our Close is read before any reset.
                Transport::AwaitEof => match self.read(&mut buf) {
                    Ok(Some(0)) | Err(_) => self.conn.receive_eof(),
                    Ok(_) => {}
                },
                Transport::Finished => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    self.done = true;
                }
            }
        }
        None
    }
    // ANCHOR_END: blocking_recv

    /// Hands an event out; a Pong may complete a round trip the connection
    /// wants timed now.
    fn deliver(&mut self, event: Event) -> Event {
        if self.conn.needs_time() {
            self.conn.handle_timeout(Instant::now());
        }
        if matches!(event, Event::Close(_)) {
            self.ended = true;
        }
        // The automatic Pong or Close reply leaves now.
        let _ = self.write_out();
        event
    }

    // ANCHOR: blocking_read
    /// One read, for at most the time left until the connection's next
    /// deadline. `Ok(None)`: the deadline came first.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let timeout = match self.conn.poll_timeout() {
            None => None,
            Some(at) => match at.checked_duration_since(Instant::now()) {
                // `set_read_timeout` refuses zero: due now, no read.
                None | Some(Duration::ZERO) => return Ok(None),
                Some(left) => Some(left),
            },
        };
        self.stream.set_read_timeout(timeout)?;
        match self.stream.read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
    // ANCHOR_END: blocking_read

    /// Writes out everything the connection queued.
    fn write_out(&mut self) -> Result<(), Error> {
        while let Some(chunk) = self.conn.poll_transmit() {
            self.stream.write_all(&chunk).map_err(Error::Io)?;
        }
        Ok(())
    }
}
