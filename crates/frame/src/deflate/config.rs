//! What an endpoint asks for and accepts when it negotiates
//! permessage-deflate, and how it compresses (RFC 7692 §7.1).

use super::MAX_WINDOW_BITS;

/// What this endpoint asks for and accepts in the negotiation, and how it
/// compresses (RFC 7692 §7.1). One struct serves both roles; each field says
/// what it means for a server and for a client.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Offer (client) or accept (server) permessage-deflate at all.
    /// Default `true`.
    pub enabled: bool,
    /// RFC 7692 §7.1.2.1, 8..=15 (values outside are clamped). Server: the
    /// largest window it compresses with (it declares a smaller one in its
    /// answer). Client: the window it asks the server to stay within (sent
    /// when below 15). Default 15. Bounds the compressor's window memory
    /// (server) or the decompressor's history (client).
    pub server_max_window_bits: u8,
    /// RFC 7692 §7.1.2.2, 8..=15 (values outside are clamped). Server: the
    /// largest window it lets the client use; it can only impose it on a
    /// client that offered `client_max_window_bits` (other clients are
    /// accepted with 15). Client: the window it compresses with, announced
    /// as `client_max_window_bits=N` when below 15. Default 15.
    pub client_max_window_bits: u8,
    /// RFC 7692 §7.1.1.1. Server: reset its compressor after every message
    /// even if the client did not ask. Client: ask the server to do so (a
    /// server that does not agree makes [`client_accept`](super::client_accept) fail). Default
    /// `false`.
    pub server_no_context_takeover: bool,
    /// RFC 7692 §7.1.1.2. Server: require the client to reset its
    /// compressor after every message. Client: announce that it does so.
    /// Default `false`.
    pub client_no_context_takeover: bool,
    /// DEFLATE level, 0 (stored) to 9 (best); larger values are clamped.
    /// Default 6 (zlib's default).
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed (RFC 7692
    /// §6: compression is decided per message). Default 64: below that the
    /// 2–7 bytes of block overhead eat most of the gain. Empty messages are
    /// never compressed.
    pub min_size: usize,
    /// Free a direction's zlib state at the end of every message instead
    /// of resetting it, when that direction has no context takeover
    /// (RFC 7692 §7.1.1: each message then starts with an empty window, so
    /// nothing in the state is needed later). An idle connection then
    /// holds no compressor or decompressor, at the price of creating one
    /// for each compressed message. Default `false`.
    pub free_after_message: bool,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            level: 6,
            min_size: 64,
            free_after_message: false,
        }
    }
}
