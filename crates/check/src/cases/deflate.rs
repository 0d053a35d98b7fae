//! Sections 12 and 13: permessage-deflate (RFC 7692).
//!
//! Each case negotiates the extension, then sends 1000 compressed
//! messages one round trip at a time, each a slice of a corpus, and checks
//! that every echo equals what was sent. Section 12 varies the data (five
//! corpora) with the default offer; section 13 varies the offer (context
//! takeover, window bits, several offers at once) with the JSON corpus.
//! Both go through 18 sizes from 16 bytes to 128 KiB, some of them split
//! into frames of 256 bytes to 32 KiB after compression. A server that
//! declines the extension gets UNIMPLEMENTED, as in Autobahn.

use std::time::Duration;

use crate::cases::Definition;
use crate::corpus::Corpus;
use crate::plan::{Adjust, Finally, Plan, Source, Step};

/// (message size, seconds allowed, frame size after compression; 0: one frame).
const SIZES: [(usize, u64, usize); 18] = [
    (16, 60, 0),
    (64, 60, 0),
    (256, 120, 0),
    (1024, 240, 0),
    (4096, 480, 0),
    (8192, 480, 0),
    (16384, 480, 0),
    (32768, 480, 0),
    (65536, 480, 0),
    (131_072, 480, 0),
    (8192, 480, 256),
    (16384, 480, 256),
    (32768, 480, 256),
    (65536, 480, 256),
    (131_072, 480, 256),
    (131_072, 480, 1024),
    (131_072, 480, 4096),
    (131_072, 480, 32768),
];

/// One offer: (server_no_context_takeover requested, server_max_window_bits requested; 0: none).
type Offer = (bool, u8);

/// Section 13's offers, each a list tried in order by the server.
const OFFERS: [&[Offer]; 7] = [
    &[(false, 0)],
    &[(true, 0)],
    &[(false, 9)],
    &[(false, 15)],
    &[(true, 9)],
    &[(true, 15)],
    &[(true, 9), (true, 0), (false, 0)],
];

/// The parameters of one offer, as Autobahn's client writes them: it
/// always lets the server restrict the client's side (§7.1.1.2,
/// §7.1.2.2) and asks for the server's side as the case says.
fn offer_params((no_takeover, bits): Offer) -> Vec<(&'static str, Option<String>)> {
    let mut p = vec![
        ("client_no_context_takeover", None),
        ("client_max_window_bits", None),
    ];
    if no_takeover {
        p.push(("server_no_context_takeover", None));
    }
    if bits != 0 {
        p.push(("server_max_window_bits", Some(bits.to_string())));
    }
    p
}

fn describe_offer(offers: &[Offer]) -> String {
    let parts: Vec<String> = offers
        .iter()
        .map(|(t, b)| {
            let mut s = String::from("permessage-deflate");
            if *t {
                s += "; server_no_context_takeover";
            }
            if *b != 0 {
                s += &format!("; server_max_window_bits={b}");
            }
            s
        })
        .collect();
    parts.join(", ")
}

fn index<T: Copy>(table: &[T], n: u32) -> Option<T> {
    table.get(usize::try_from(n).ok()?.checked_sub(1)?).copied()
}

pub(super) fn define(section: u32, sub: u32, n: u32) -> Option<Definition> {
    let (len, secs, frame) = index(&SIZES, n)?;
    let (corpus, offers): (Corpus, &[Offer]) = match section {
        12 => (index(&Corpus::ALL, sub)?, &[(false, 0)]),
        13 => (Corpus::Json, index(&OFFERS, sub)?),
        _ => return None,
    };
    let binary = corpus.binary();
    let step = Step::EchoLoop {
        binary,
        len,
        count: 1000,
        source: Source::Corpus(corpus.data()),
        frame,
    };
    let mut plan = Plan::echo(
        vec![step],
        vec![],
        Finally::Close(Duration::from_secs(secs)),
    );
    plan.expected = vec![];
    plan.suppress_close = true;
    plan.keep_payloads = false;
    plan.adjust = Adjust::Count {
        count: 1000,
        needs_deflate: true,
    };
    plan.deflate_offers = offers.iter().map(|o| offer_params(*o)).collect();
    let framing = if frame == 0 {
        String::from("one frame each")
    } else {
        format!("frames of {frame} bytes")
    };
    Some(Definition::new(
        format!(
            "1000 compressed messages of {len} bytes from {}, {framing}, offering {}.",
            corpus.describe(),
            describe_offer(offers)
        ),
        format!(
            "Every message comes back as sent, within {secs} s; UNIMPLEMENTED if the server declines the extension."
        ),
        plan,
    ))
}
