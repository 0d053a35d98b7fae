//! The payload of the compressed echo: chat-like JSON text, compressible
//! the way real chat traffic is.

/// Chat-like JSON lines, `size` bytes of UTF-8: compressible the way real
/// chat traffic is (repeated keys and names, varying text), not trivially.
pub(super) fn chat_text(size: usize) -> String {
    const WORDS: [&str; 12] = [
        "hello",
        "websocket",
        "frames",
        "compress",
        "the",
        "window",
        "déjà",
        "vu",
        "message",
        "room",
        "naïve",
        "ok",
    ];
    let mut text = String::with_capacity(size + 128);
    let mut i = 0usize;
    while text.len() < size {
        let words: Vec<&str> = (0..6)
            .map(|k| WORDS[(i * 7 + k * 5) % WORDS.len()])
            .collect();
        text.push_str(&format!(
            r#"{{"type":"message","room":"lobby","from":"user-{}","text":"{} #{i}","ts":{}}}"#,
            i % 50,
            words.join(" "),
            1_700_000_000_000u64 + i as u64 * 37,
        ));
        text.push('\n');
        i += 1;
    }
    // Cut back to `size` bytes at a character boundary.
    let mut end = size.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}
