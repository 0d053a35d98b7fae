//! Stdin as messages: a text message per line (the default), a binary
//! message per line (`--binary`), or a binary message per chunk read
//! (`--binary --raw`). Every read is cancel-safe, so it can race the
//! connection in `select!` without losing input.

use std::io;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader, Stdin};
use ws_tokio::Message;
use ws_tokio::bytes::BytesMut;

/// How stdin is cut into messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A text message per line (not valid UTF-8: replaced, with a warning).
    TextLines,
    /// A binary message per line, without its line ending.
    BinaryLines,
    /// A binary message per chunk as `read(2)` returns it.
    BinaryChunks,
}

/// The largest chunk read at once in [`Mode::BinaryChunks`].
const CHUNK: usize = 64 * 1024;

/// Stdin, cut into messages.
pub(crate) struct Input {
    reader: BufReader<Stdin>,
    mode: Mode,
    /// The line read so far (kept across cancelled reads).
    line: Vec<u8>,
    /// The longest line accepted: the message size limit.
    max_line: usize,
    warned_utf8: bool,
}

impl Input {
    pub(crate) fn new(mode: Mode, max_line: usize) -> Self {
        Self {
            reader: BufReader::new(tokio::io::stdin()),
            mode,
            line: Vec::new(),
            max_line,
            warned_utf8: false,
        }
    }

    /// The next message, `None` at the end of stdin.
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes of a line read before the cancellation stay in the
    /// buffer for the next call.
    ///
    /// # Errors
    /// A read error, or a line longer than the message size limit (it is
    /// never held in memory whole).
    pub(crate) async fn next(&mut self) -> io::Result<Option<Message>> {
        if self.mode == Mode::BinaryChunks {
            let mut chunk = BytesMut::with_capacity(CHUNK);
            let n = self.reader.read_buf(&mut chunk).await?;
            return Ok((n > 0).then(|| Message::binary(chunk.freeze())));
        }
        // Room for the limit plus "\r\n": one byte more is a line too long.
        let room = (self.max_line + 3).saturating_sub(self.line.len());
        let n = (&mut self.reader)
            .take(u64::try_from(room).unwrap_or(u64::MAX))
            .read_until(b'\n', &mut self.line)
            .await?;
        if n == 0 && self.line.is_empty() {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        if line.len() > self.max_line {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a line of stdin is longer than {} bytes, the message size limit",
                    self.max_line
                ),
            ));
        }
        Ok(Some(match self.mode {
            Mode::BinaryLines | Mode::BinaryChunks => Message::binary(line),
            Mode::TextLines => match String::from_utf8(line) {
                Ok(text) => Message::text(text),
                Err(e) => {
                    if !std::mem::replace(&mut self.warned_utf8, true) {
                        eprintln!(
                            "ws-client: stdin is not UTF-8; invalid bytes are sent as U+FFFD \
                             (--binary sends lines as they are)"
                        );
                    }
                    Message::text(String::from_utf8_lossy(e.as_bytes()).into_owned())
                }
            },
        }))
    }
}
