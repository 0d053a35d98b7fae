//! permessage-deflate (RFC 7692): data messages compressed with DEFLATE,
//! negotiated in the opening handshake.
//!
//! Heads up! Before working on this file you should read RFC 7692 §4–§8:
//! the negotiation (§5, §7.1), the wire format (§6, §7.2) and the
//! parameters' exact meaning (a `server_*` parameter always describes what
//! the *server* compresses, whoever sends it).
//!
//! ```text
//!  send_text / send_binary                          frames with RSV1 (§6)
//!        │                                                 │
//!  encode_message: deflate, sync flush,          decode_frame: inflate each
//!  strip 00 00 ff ff (§7.2.1), RSV1 on the       frame, append 00 00 ff ff
//!  first frame; small messages as they are       after the last (§7.2.2),
//!  (§6: compression is per message)              never beyond `max_out`
//!        │                                                 │
//!     wire bytes                          Event::Text / Event::Binary
//! ```
//!
//! # Wiring it into a handshake
//!
//! A server hands the parsed `Sec-WebSocket-Extensions` offers to
//! [`negotiate`]; when it returns `Some`, it answers with the header value
//! and installs the extension:
//!
//! ```
//! use ws_frame::deflate::{DeflateConfig, negotiate};
//! use ws_frame::{Config, Connection, Role};
//! // What a browser offers: `permessage-deflate; client_max_window_bits`.
//! let params = vec![("client_max_window_bits".to_owned(), None)];
//! let offers = [("permessage-deflate", params.as_slice())];
//! let (header, extension) = negotiate(offers, &DeflateConfig::default()).unwrap();
//! assert_eq!(header, "permessage-deflate");
//! let mut conn = Connection::new(Role::Server, Config::default());
//! conn.set_extension(Box::new(extension));
//! ```
//!
//! A client sends [`client_offer`] and passes the parameters of the
//! `permessage-deflate` element of the response (if any) to
//! [`client_accept`]; an `Err` means the server's answer breaks §7.1 and the
//! client must _Fail the WebSocket Connection_.
//!
//! # Window sizes and the 8-bit window
//!
//! zlib cannot make a raw DEFLATE stream with an 8-bit (256-byte) window;
//! its smallest is 9 bits. RFC 7692 §7.1.2.1 warns about exactly this. We
//! accept and offer 8 all the same, because both directions stay correct:
//!
//! - *Inflating* with a 9-bit window decodes anything an 8-bit compressor
//!   produces (a larger window only holds more history).
//! - *Deflating* with zlib's 9-bit window never refers further back than
//!   `512 − 262 = 250` bytes (zlib keeps `MIN_LOOKAHEAD = 262` bytes of the
//!   window for look-ahead, and every match finder checks that limit), so
//!   the stream is valid for a peer whose window is 256 bytes. A unit test
//!   inflates our 8-bit output with a strict 256-byte window to hold zlib
//!   to it.
//!
//! # Memory
//!
//! The compressor and the decompressor are created on first use, so a
//! connection that never sends or receives a compressed message holds
//! neither. With the zlib-rs backend a compressor takes about
//! `4 · 2^bits + 250 KiB` (its hash table is 128 KiB whatever the window)
//! and a decompressor about 42 KiB (it always allocates a 32 KiB window);
//! [`PerMessageDeflate::memory_usage`] reports the estimate. flate2 does not
//! expose zlib's `memLevel`, so the compressor uses zlib's default (8).

mod config;
mod negotiate;
mod params;
mod shared;
mod stream;

pub use config::DeflateConfig;
pub use negotiate::{
    client_accept, client_accept_params, client_offer, negotiate, negotiate_params, parse_answer,
};
pub use params::{DeflateParams, NegotiationError};
pub use shared::{Deflated, SharedDeflate};
pub use stream::PerMessageDeflate;

/// The extension token (RFC 7692 §7: "The registered extension name for
/// this extension is "permessage-deflate"").
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The smallest LZ77 window a peer may ask for, in bits (RFC 7692 §7.1.2.1).
pub const MIN_WINDOW_BITS: u8 = 8;
/// The largest (and default) LZ77 window, in bits (RFC 7692 §7.1.2.1).
pub const MAX_WINDOW_BITS: u8 = 15;

// ANCHOR: tail
/// RFC 7692 §7.2.1: the four octets an empty stored block after a sync
/// flush ends with, removed by the sender and put back by the receiver
/// (§7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
// ANCHOR_END: tail

/// A window size within RFC 7692 §7.1.2's 8..=15.
fn clamp_window(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}
