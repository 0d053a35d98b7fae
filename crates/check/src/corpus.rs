//! The payloads of the permessage-deflate sections (12, 13).
//!
//! Autobahn slices its messages from five sample files (a JSON document,
//! a bitmap, a German novel, an HTML page, a PDF). We do not ship those
//! files: what matters for a verdict is that the echo equals what was
//! sent, and for the compressor that the data has the same character. So
//! each corpus here is generated, deterministically, with the same kind of
//! redundancy and about the same size: repetitive structured text, a
//! smooth image with noise, prose with multi-byte characters, markup, and
//! a mostly incompressible binary with text islands.

use std::sync::OnceLock;

/// The corpora, in the order of sections 12.1–12.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Corpus {
    /// JSON records (text, about 190 KiB).
    Json,
    /// An 8-bit 512×512 image with a header (binary, about 257 KiB).
    Bitmap,
    /// Prose with umlauts (sent as binary, about 217 KiB).
    Prose,
    /// An HTML page (text, about 257 KiB).
    Html,
    /// A document-like binary, mostly incompressible (binary, about 1 MiB).
    Document,
}

impl Corpus {
    /// The five corpora of section 12, in order.
    pub(crate) const ALL: [Self; 5] = [
        Self::Json,
        Self::Bitmap,
        Self::Prose,
        Self::Html,
        Self::Document,
    ];

    /// Sent as binary messages.
    pub(crate) fn binary(self) -> bool {
        !matches!(self, Self::Json | Self::Html)
    }

    /// What it is, for the reports.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Json => "JSON records (text)",
            Self::Bitmap => "an 8-bit bitmap image (binary)",
            Self::Prose => "prose with umlauts (binary)",
            Self::Html => "an HTML page (text)",
            Self::Document => "a mostly incompressible document (binary)",
        }
    }

    /// The bytes, generated on first use.
    pub(crate) fn data(self) -> &'static [u8] {
        static CELLS: [OnceLock<Vec<u8>>; 5] = [const { OnceLock::new() }; 5];
        let (i, make): (usize, fn() -> Vec<u8>) = match self {
            Self::Json => (0, json),
            Self::Bitmap => (1, bitmap),
            Self::Prose => (2, prose),
            Self::Html => (3, html),
            Self::Document => (4, document),
        };
        CELLS[i].get_or_init(make)
    }
}

/// xorshift64*: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

const WORDS: [&str; 24] = [
    "socket",
    "frame",
    "message",
    "server",
    "client",
    "close",
    "ping",
    "pong",
    "text",
    "binary",
    "mask",
    "payload",
    "length",
    "opcode",
    "deflate",
    "window",
    "context",
    "handshake",
    "upgrade",
    "origin",
    "protocol",
    "extension",
    "status",
    "reason",
];

const GERMAN: [&str; 20] = [
    "Nacht", "über", "Geist", "Blüte", "schön", "Mädchen", "Straße", "Würde", "Glück", "hören",
    "Tür", "Seele", "und", "die", "der", "nicht", "ich", "mit", "Himmel", "Erde",
];

fn json() -> Vec<u8> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = String::from("[");
    let mut id = 0;
    while s.len() < 194_000 {
        id += 1;
        let (a, b, c) = (WORDS[r.below(24)], WORDS[r.below(24)], WORDS[r.below(24)]);
        let score = r.below(100_000);
        let active = r.below(2) == 0;
        s += &format!(
            "{{\"id\":{id},\"name\":\"{a} {b}\",\"tags\":[\"{c}\",\"{a}\"],\"score\":{}.{:03},\"active\":{active}}},\n",
            score / 1000,
            score % 1000
        );
    }
    s.push(']');
    s.into_bytes()
}

fn bitmap() -> Vec<u8> {
    let mut r = Rng(0x0123_4567_89ab_cdef);
    let mut v = b"BM".to_vec();
    v.extend_from_slice(&[
        0x36, 0x04, 0x04, 0x00, 0, 0, 0, 0, 0x36, 0x04, 0, 0, 40, 0, 0, 0,
    ]);
    // A grey palette: 256 × (b, g, r, 0).
    for i in 0..=255u8 {
        v.extend_from_slice(&[i, i, i, 0]);
    }
    for y in 0..512usize {
        for x in 0..512usize {
            let base = (x * 3 + y * 2) / 8 + (x * y) / 4096;
            let noise = r.below(9);
            v.push(u8::try_from((base + noise) % 256).unwrap_or(0));
        }
    }
    v
}

fn prose() -> Vec<u8> {
    let mut r = Rng(0xdead_beef_cafe_f00d);
    let mut s = String::new();
    while s.len() < 222_000 {
        let words = 4 + r.below(9);
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s += GERMAN[r.below(20)];
        }
        s += if r.below(4) == 0 { ".\n\n" } else { ",\n" };
    }
    s.into_bytes()
}

fn html() -> Vec<u8> {
    let mut r = Rng(0x1357_9bdf_2468_ace0);
    let mut s = String::from("<!DOCTYPE html>\n<html><head><title>ws</title></head><body>\n");
    let tags = ["p", "div", "span", "li", "td"];
    while s.len() < 263_000 {
        let t = tags[r.below(5)];
        let class = WORDS[r.below(24)];
        s += &format!("<{t} class=\"{class}\">");
        for _ in 0..3 + r.below(12) {
            s += WORDS[r.below(24)];
            s.push(' ');
        }
        s += &format!(
            "<a href=\"/{}/{}\">{}</a></{t}>\n",
            WORDS[r.below(24)],
            r.below(1000),
            WORDS[r.below(24)]
        );
    }
    s += "</body></html>\n";
    s.into_bytes()
}

fn document() -> Vec<u8> {
    let mut r = Rng(0x0f1e_2d3c_4b5a_6978);
    let mut v = b"%PDF-1.4\n".to_vec();
    while v.len() < 1_042_000 {
        v.extend_from_slice(
            format!(
                "{} 0 obj\n<< /Length 4096 /Filter /FlateDecode >>\nstream\n",
                r.below(9999)
            )
            .as_bytes(),
        );
        for _ in 0..4096 {
            v.push(r.byte());
        }
        v.extend_from_slice(b"\nendstream\nendobj\n");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpora_are_deterministic_large_enough_and_text_is_utf8() {
        for c in Corpus::ALL {
            let data = c.data();
            assert!(data.len() > 131_072, "{c:?}");
            if !c.binary() {
                assert!(std::str::from_utf8(data).is_ok(), "{c:?}");
            }
        }
        assert!(std::str::from_utf8(Corpus::Prose.data()).is_ok());
        assert_eq!(json()[..40], Corpus::Json.data()[..40]);
    }
}
