//! One open connection: stdin out as messages, received messages out to
//! [`Output`], optional keepalive Pings, and the end (RFC 6455 §7): our
//! Close on stdin EOF or after `--max-messages`, the peer's Close, or a
//! connection that just ends.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, MissedTickBehavior};
use ws_tokio::{CloseCode, CloseFrame, Message, WebSocket};

use crate::exit::{Failure, Status};
use crate::input::Input;
use crate::output::Output;

/// How long to wait for the peer's Close after ours (the interface's 5 s).
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Pings whose Pong has not come yet; older ones are forgotten, so a peer
/// that never answers costs a bounded amount of memory.
const PINGS_IN_FLIGHT: usize = 16;

/// What the session does besides copying.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Settings {
    /// Send a Ping this often.
    pub(crate) ping_interval: Option<Duration>,
    /// Close after this many data messages were received.
    pub(crate) max_messages: Option<u64>,
}

/// Runs the session until the connection ends.
///
/// # Errors
/// A [`Failure`] with [`Status::Abnormal`] for every ending but a normal
/// close (RFC 6455 §7.4.1: 1000 or 1001, or a Close without a code).
pub(crate) async fn run<S>(
    ws: &mut WebSocket<S>,
    mut input: Input,
    output: &Output,
    settings: Settings,
) -> Result<(), Failure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stdin_open = true;
    let mut deadline = None;
    let mut received = 0_u64;
    let mut input_error = None;
    let mut pings = VecDeque::new();
    let mut ping_seq = 0_u64;
    let mut ticker = settings.ping_interval.map(|period| {
        let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker
    });
    loop {
        let message = tokio::select! {
            // Every branch is cancel-safe: a lost race loses no input or message.
            next = input.next(), if stdin_open => {
                match next {
                    Ok(Some(message)) => match ws.send(message).await {
                        Ok(()) => {}
                        // The connection is already closing (the peer's
                        // Close, or one we sent for an error): reading on
                        // tells how it ends.
                        Err(ws_tokio::Error::Closed) => {
                            stdin_open = false;
                            deadline = Some(Instant::now() + CLOSE_WAIT);
                        }
                        Err(e) => return Err(abnormal(format!("send failed: {e}"))),
                    },
                    Ok(None) | Err(_) => {
                        if let Err(e) = next {
                            input_error = Some(format!("stdin: {e}"));
                        }
                        stdin_open = false;
                        output.shown(format_args!("> close 1000 (end of stdin)"));
                        deadline = Some(start_closing(ws).await?);
                    }
                }
                continue;
            }
            () = tick(ticker.as_mut()), if deadline.is_none() => {
                ping_seq += 1;
                if pings.len() == PINGS_IN_FLIGHT {
                    pings.pop_front();
                }
                pings.push_back((ping_seq, Instant::now()));
                output.shown(format_args!("> ping {ping_seq}"));
                match ws.send(Message::ping(ping_seq.to_be_bytes().to_vec())).await {
                    // Closing already: the next recv tells how it ends.
                    Ok(()) | Err(ws_tokio::Error::Closed) => {}
                    Err(e) => return Err(abnormal(format!("ping failed: {e}"))),
                }
                continue;
            }
            () = sleep_until(deadline) => {
                return Err(abnormal(format!(
                    "no Close from the peer within {} s of ours",
                    CLOSE_WAIT.as_secs()
                )));
            }
            message = ws.recv() => message,
        };
        match message {
            Some(Ok(Message::Close(frame))) => {
                output.close(frame.as_ref());
                closed(frame.as_ref())?;
                return input_error.map_or(Ok(()), |e| Err(abnormal(e)));
            }
            Some(Ok(Message::Pong(data))) => {
                output.message(&Message::Pong(data.clone()));
                if let Some(i) = pings
                    .iter()
                    .position(|(seq, _)| data[..] == seq.to_be_bytes())
                {
                    let (_, sent) = pings[i];
                    pings.drain(..=i);
                    output.round_trip(sent.elapsed());
                }
            }
            Some(Ok(message)) if message.is_data() => {
                // Past --max-messages (our Close is on its way): not asked for.
                if settings.max_messages.is_some_and(|max| received >= max) {
                    continue;
                }
                output.message(&message);
                received += 1;
                if settings.max_messages == Some(received) && deadline.is_none() {
                    stdin_open = false;
                    output.shown(format_args!("> close 1000 (after {received} messages)"));
                    deadline = Some(start_closing(ws).await?);
                }
            }
            Some(Ok(message)) => output.message(&message),
            Some(Err(e)) => {
                let code = e.close_code().map_or(String::new(), |c| format!(" ({c})"));
                return Err(abnormal(format!("connection failed{code}: {e}")));
            }
            None => return Err(abnormal("connection closed without a Close frame (1006)")),
        }
    }
}

fn abnormal(message: impl Into<String>) -> Failure {
    Failure::new(Status::Abnormal, message)
}

/// RFC 6455 §7.1.2: start the closing handshake with 1000; the caller keeps
/// reading until the peer's Close arrives or the returned deadline passes.
async fn start_closing<S>(ws: &mut WebSocket<S>) -> Result<Instant, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let close = Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
    match ws.send(close).await {
        // Closed: the closing handshake was already under way; reading on
        // tells how it ends.
        Ok(()) | Err(ws_tokio::Error::Closed) => Ok(Instant::now() + CLOSE_WAIT),
        Err(e) => Err(abnormal(format!("close failed: {e}"))),
    }
}

/// The peer's Close: normal for 1000, 1001 and a Close without a code.
///
/// # Errors
/// Any other code, with its reason.
pub(crate) fn closed(frame: Option<&CloseFrame>) -> Result<(), Failure> {
    match frame {
        Some(frame) if !matches!(frame.code, CloseCode::NORMAL | CloseCode::GOING_AWAY) => {
            Err(abnormal(format!(
                "closed with code {} reason {:?}",
                frame.code.0, frame.reason
            )))
        }
        _ => Ok(()),
    }
}

async fn tick(ticker: Option<&mut tokio::time::Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
