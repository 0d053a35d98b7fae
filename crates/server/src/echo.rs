//! `/echo` (`docs/server-interface.md` §3.1): every message back as it
//! came, until the peer closes or the server shuts down.

use tokio::io::{AsyncRead, AsyncWrite};
use ws_tokio::{CloseCode, MessageRef, WebSocket};

use crate::close::{self, SHUTTING_DOWN};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

// ANCHOR: echo
/// `/echo`: every text or binary message goes back unchanged, with the
/// same opcode. Pings are answered by the core automatically. Returns the
/// close code the connection ended with (1006: without a Close frame).
pub(crate) async fn echo<S>(
    ws: &mut WebSocket<S>,
    shutdown: &Shutdown,
    metrics: &Metrics,
) -> CloseCode
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // One shutdown future for the whole connection: it registers once, and
    // each later poll is one atomic load (see the `shutdown` module).
    let mut shutdown = shutdown.wait();
    loop {
        // `recv` is cancel-safe, so losing the race to shutdown loses nothing.
        // `biased`: polled in order, which spares a random number per poll;
        // the shutdown check first, so a peer that keeps sending cannot
        // keep its connection from noticing the shutdown.
        let message = tokio::select! {
            biased;
            () = &mut shutdown => {
                let _ = ws.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason).await;
                return SHUTTING_DOWN.code;
            }
            // Borrowed: the message stays in the connection's receive
            // buffer and `send_back` frames it from there (no allocation
            // per message, docs/benchmarks.md).
            message = ws.recv_borrowed() => message,
        };
        match message {
            Some(Ok(message @ (MessageRef::Text(_) | MessageRef::Binary(_)))) => {
                let len = message.len();
                metrics.message_in(len);
                if ws.send_back().await.is_err() {
                    return CloseCode::ABNORMAL;
                }
                metrics.message_out(len);
            }
            // Pings and Pongs: answered by the core; the rest ends it.
            other => {
                if let Some(code) = close::ended_by_ref(&other) {
                    return code;
                }
            }
        }
    }
}
// ANCHOR_END: echo
