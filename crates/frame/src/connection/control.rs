//! Control frames (RFC 6455 §5.5): the automatic Pong (§5.5.2) and the
//! peer's Close (§5.5.1); data frames go on to message assembly.

use bytes::Bytes;

use super::{Connection, Event, State};
use crate::close::CloseFrame;
use crate::error::Error;
use crate::header::Header;
use crate::opcode::OpCode;

impl Connection {
    // ANCHOR: on_frame
    pub(super) fn on_frame(
        &mut self,
        header: Header,
        payload: Bytes,
    ) -> Result<Option<Event>, Error> {
        match header.opcode {
            OpCode::Ping => {
                // Our own Close does not excuse us: only the peer's does,
                // and after it nothing more is read.
                if self.config.auto_pong && self.state != State::Closed {
                    // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an
                    // endpoint MUST send a Pong frame in response, unless it
                    // already received a Close frame ... [with] identical
                    // Application data".
                    self.queue_frame(OpCode::Pong, true, 0, &payload);
                }
                Ok(Some(Event::Ping(payload)))
            }
            OpCode::Pong => {
                // RFC 6455 §5.5.3: the answer to our keepalive Ping gives
                // the round trip.
                self.timers.on_pong(&payload);
                Ok(Some(Event::Pong(payload)))
            }
            OpCode::Close => self.on_close(&payload).map(Some),
            OpCode::Text | OpCode::Binary | OpCode::Continuation => self.on_data(header, payload),
        }
    }
    // ANCHOR_END: on_frame

    // ANCHOR: on_close
    fn on_close(&mut self, payload: &[u8]) -> Result<Event, Error> {
        let frame = CloseFrame::parse(payload)?;
        if self.close_sent.is_none() {
            // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did
            // not previously send a Close frame, the endpoint MUST send a
            // Close frame in response. ... typically echoing the status code
            // it received."
            let reply = frame.as_ref().map(|f| CloseFrame::new(f.code, ""));
            match reply {
                Some(reply) => self.queue_close(&reply),
                None => self.queue_close_empty(),
            }
        }
        // Data after the Close frame is ignored (§1.4: the peer sends nothing more).
        self.stop_reading();
        self.state = State::Closed;
        self.close_received = Some(frame.clone().into());
        Ok(Event::Close(frame))
    }
    // ANCHOR_END: on_close
}
