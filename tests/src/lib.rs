//! Conformance tests for RFC 6455, one file per section under `tests/`.
//!
//! Each test is named after the section and the requirement it checks
//! (`rfc6455_5_5_control_frame_over_125_is_rejected`), so the list of test
//! names reads like the RFC's requirements: `cargo test -p ws-conformance -- --list`.
#![forbid(unsafe_code)]
