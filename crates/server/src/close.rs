//! Close codes, in one place: the Closes the server starts itself, and the
//! code a WebSocket is counted under when it ends
//! (`docs/server-interface.md` §5).

use ws_tokio::{CloseCode, Message};

/// A Close the server starts: its code and reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Closing {
    pub(crate) code: CloseCode,
    pub(crate) reason: &'static str,
}

/// The server is shutting down: 1001 (RFC 6455 §7.4.1, "an endpoint is
/// going away, such as a server going down").
pub(crate) const SHUTTING_DOWN: Closing = Closing {
    code: CloseCode::GOING_AWAY,
    reason: "server shutting down",
};

/// A chat member whose queue stayed full: 1008 (RFC 6455 §7.4.1, "a
/// message that violates its policy").
pub(crate) const SLOW_CONSUMER: Closing = Closing {
    code: CloseCode::POLICY_VIOLATION,
    reason: "slow consumer",
};

/// A chat member whose token's `exp` has passed: 4001
/// (`docs/server-interface.md` §7).
pub(crate) const TOKEN_EXPIRED: Closing = Closing {
    code: CloseCode(4001),
    reason: "token expired",
};

/// A chat member removed through the HTTP API: 4003
/// (`docs/server-interface.md` §7).
pub(crate) const REMOVED: Closing = Closing {
    code: CloseCode(4003),
    reason: "removed",
};

/// What `recv` gave, as the code the connection ended with: the peer's
/// Close code (1005 for a Close without one), the code of the error the
/// server closed with (1002, 1007, 1009), or 1006 for a connection lost
/// without a Close. `None` for a data or control message: the connection
/// goes on.
pub(crate) fn ended_by(received: &Option<Result<Message, ws_tokio::Error>>) -> Option<CloseCode> {
    match received {
        Some(Ok(Message::Close(frame))) => {
            Some(frame.as_ref().map_or(CloseCode::NO_STATUS, |f| f.code))
        }
        Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.close_code().unwrap_or(CloseCode::ABNORMAL)),
        None => Some(CloseCode::ABNORMAL),
    }
}

/// [`ended_by`] for what `recv_borrowed` returns.
pub(crate) fn ended_by_ref(
    received: &Option<Result<ws_tokio::MessageRef<'_>, ws_tokio::Error>>,
) -> Option<CloseCode> {
    match received {
        Some(Ok(ws_tokio::MessageRef::Close(frame))) => {
            Some(frame.map_or(CloseCode::NO_STATUS, |f| f.code))
        }
        Some(Ok(_)) => None,
        Some(Err(e)) => Some(e.close_code().unwrap_or(CloseCode::ABNORMAL)),
        None => Some(CloseCode::ABNORMAL),
    }
}

#[cfg(test)]
mod tests {
    use ws_tokio::CloseFrame;

    use super::*;

    #[test]
    fn the_code_a_connection_ended_with() {
        let close = |code| Some(Ok(Message::Close(Some(CloseFrame::new(code, "")))));
        assert_eq!(ended_by(&close(CloseCode::NORMAL)), Some(CloseCode::NORMAL));
        assert_eq!(
            ended_by(&Some(Ok(Message::Close(None)))),
            Some(CloseCode::NO_STATUS)
        );
        assert_eq!(ended_by(&None), Some(CloseCode::ABNORMAL));
        assert_eq!(ended_by(&Some(Ok(Message::text("hi")))), None);
    }
}
