//! Replays the seed corpora of the fuzz targets (`fuzz/corpus/frame_decoder`
//! and `fuzz/corpus/connection`) through the targets' own `check`
//! functions, so the invariants run on every `cargo test`.

// `cargo fuzz` builds the targets with `--cfg fuzzing`, a cfg this crate
// does not declare; without it the targets are plain modules with a `check`.
#![allow(unexpected_cfgs)]

use std::path::PathBuf;

#[path = "../../../fuzz/fuzz_targets/frame_decoder.rs"]
mod frame_decoder;

#[path = "../../../fuzz/fuzz_targets/connection.rs"]
mod connection;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // A panic names the seed.
        eprintln!("{}", path.display());
        check(&data);
        seeds += 1;
    }
    assert!(seeds >= 12, "only {seeds} seeds in {}", dir.display());
}

#[test]
fn frame_decoder_seeds() {
    replay("frame_decoder", frame_decoder::check);
}

#[test]
fn connection_seeds() {
    replay("connection", connection::check);
}
