//! The case definitions, one module per Autobahn section, each written
//! from the behaviour the section tests (RFC 6455 and RFC 7692), not from
//! Autobahn's code.

mod close;
mod deflate;
mod fragments;
mod framing;
mod limits;
mod opcodes;
mod opening;
mod pings;
mod utf8;

use crate::plan::Plan;

/// A case's own words and its plan.
#[derive(Debug, Clone)]
pub(crate) struct Definition {
    /// What the case sends.
    pub description: String,
    /// What a conforming peer does.
    pub expectation: String,
    /// The case itself.
    pub plan: Plan,
}

impl Definition {
    pub(crate) fn new(
        description: impl Into<String>,
        expectation: impl Into<String>,
        plan: Plan,
    ) -> Self {
        Self {
            description: description.into(),
            expectation: expectation.into(),
            plan,
        }
    }
}

/// The definition of case `id` (split into numbers), or `None` when the
/// checker does not implement it yet.
pub(crate) fn define(id: &[u32]) -> Option<Definition> {
    match id {
        [1, sub, n] => framing::define(*sub, *n),
        [2, n] => pings::define(*n),
        [3, n] => opcodes::define_rsv(*n),
        [4, sub, n] => opcodes::define(*sub, *n),
        [5, n] => fragments::define(*n),
        [6, sub, n] => utf8::define(*sub, *n),
        [7, sub, n] => close::define(*sub, *n),
        [9, sub, n] => limits::define(*sub, *n),
        [10, 1, 1] => limits::define_auto_fragment(),
        [section @ (12 | 13), sub, n] => deflate::define(*section, *sub, *n),
        [14, sub, n] => opening::define(*sub, *n),
        _ => None,
    }
}
