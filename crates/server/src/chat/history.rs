//! A room's history: its numbered `message` events, kept so that a member
//! who lost its connection catches up exactly, and so that a send repeated
//! with the same `id` is recognised (`docs/server-interface.md` §4.6; the
//! choices it leaves open are in `docs/chat.md`, "History and resume").
//!
//! ```text
//!  say ──► seq = last + 1 ──► frame (with seq, id) ──► fan-out
//!                                  │
//!                                  ▼
//!   kept: [seq 41][seq 42] … [seq 90]   ◄── trimmed by count, bytes, age
//!   ids:  id → seq (only while its message is kept)
//! ```
//!
//! The numbering (`last`) and its name (`epoch`) belong to the room and
//! outlive the kept messages: a room whose messages have all expired still
//! continues at `last + 1`, and a resume at `since == last` is exact. Only
//! a new room (the old one emptied and was reaped) starts again at 1, and
//! it has a new epoch so that no client mistakes one numbering for another.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ws_tokio::Utf8Bytes;

/// `--history`: room messages kept per room by default.
pub(crate) const DEFAULT_COUNT: usize = 1000;
/// `--history-ttl`: a kept message older than this is forgotten.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// `--history-bytes`: the encoded `message` events a room keeps, at most.
/// A full history of the longest ASCII messages (1000 × 4096 characters,
/// about 4.2 MB with their JSON) fits; a history of long non-ASCII texts
/// is cut short by this instead of growing to 16 MB per room.
pub(crate) const DEFAULT_BYTES: usize = 8 << 20;
/// Messages a fresh join gets by default (`backlog=K` changes it).
pub(crate) const DEFAULT_BACKLOG: usize = 50;

/// How much a room keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Messages (0: none, and no resume).
    pub(crate) count: usize,
    /// Their age.
    pub(crate) ttl: Duration,
    /// Their encoded bytes.
    pub(crate) bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            count: DEFAULT_COUNT,
            ttl: DEFAULT_TTL,
            bytes: DEFAULT_BYTES,
        }
    }
}

/// A kept message.
#[derive(Debug)]
struct Kept {
    seq: u64,
    at: Instant,
    id: Option<Arc<str>>,
    /// The event as every member received it (shared, not copied).
    frame: Utf8Bytes,
}

/// One room's numbering and kept messages.
#[derive(Debug)]
pub(crate) struct History {
    epoch: Arc<str>,
    /// The last `seq` given (0: none yet).
    last: u64,
    kept: VecDeque<Kept>,
    /// Bytes of the kept frames.
    bytes: usize,
    /// The `id`s of kept messages, to their `seq`.
    ids: HashMap<Arc<str>, u64>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            epoch: new_epoch(),
            last: 0,
            kept: VecDeque::new(),
            bytes: 0,
            ids: HashMap::new(),
        }
    }
}

/// What a joiner gets after its `welcome`.
#[derive(Debug)]
pub(crate) struct CatchUp {
    /// Every message after its `since` is in `frames`.
    pub(crate) recovered: bool,
    pub(crate) frames: Vec<Utf8Bytes>,
}

/// A new epoch: 16 hex digits, unpredictable and different from every
/// earlier one of this process (std's randomly keyed SipHash over the
/// clock, the process id and a counter; no `rand` dependency).
pub(crate) fn new_epoch() -> Arc<str> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Relaxed));
    Arc::from(format!("{:016x}", hasher.finish()))
}

impl History {
    /// The name of this numbering.
    pub(crate) fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The last `seq` given (0: none yet).
    pub(crate) fn last(&self) -> u64 {
        self.last
    }

    /// Whether no message is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The `seq` of the kept message sent with `id`, if there is one.
    pub(crate) fn placed(&self, id: &str) -> Option<u64> {
        self.ids.get(id).copied()
    }

    /// Numbers the next message: `frame_of(seq)` makes its event, which is
    /// kept (within `limits`) and returned for the fan-out.
    pub(crate) fn append(
        &mut self,
        id: Option<&str>,
        now: Instant,
        limits: &Limits,
        frame_of: impl FnOnce(u64) -> Utf8Bytes,
    ) -> (u64, Utf8Bytes) {
        self.last += 1;
        let seq = self.last;
        let frame = frame_of(seq);
        if limits.count > 0 {
            let id = id.map(Arc::<str>::from);
            if let Some(id) = &id {
                self.ids.insert(Arc::clone(id), seq);
            }
            self.bytes += frame.len();
            self.kept.push_back(Kept {
                seq,
                at: now,
                id,
                frame: frame.clone(),
            });
        }
        self.trim(now, limits);
        (seq, frame)
    }

    /// Forgets what is over the limits: the oldest first.
    pub(crate) fn trim(&mut self, now: Instant, limits: &Limits) {
        while let Some(oldest) = self.kept.front() {
            let over = self.kept.len() > limits.count
                || self.bytes > limits.bytes
                || now.saturating_duration_since(oldest.at) >= limits.ttl;
            if !over {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        let Some(oldest) = self.kept.pop_front() else {
            return;
        };
        self.bytes -= oldest.frame.len();
        if let Some(id) = oldest.id
            && self.ids.get(&id) == Some(&oldest.seq)
        {
            self.ids.remove(&id);
        }
    }

    /// The kept messages after `since`, at most `limit` of them (the
    /// oldest first), for `GET /api/rooms/{room}/messages`.
    pub(crate) fn since(&self, since: u64, limit: usize) -> Vec<Utf8Bytes> {
        self.kept
            .iter()
            .filter(|k| k.seq > since)
            .take(limit)
            .map(|k| k.frame.clone())
            .collect()
    }

    /// What a joiner gets: with `since` and the right `epoch`, every kept
    /// message after `since` if none of them is missing (`recovered`);
    /// otherwise the last `backlog` kept messages.
    pub(crate) fn catch_up(
        &self,
        resume: Option<(u64, Option<&str>)>,
        backlog: usize,
        limits: &Limits,
    ) -> CatchUp {
        if let Some((since, epoch)) = resume
            && let Some(frames) = self.after(since, epoch, limits)
        {
            return CatchUp {
                recovered: true,
                frames,
            };
        }
        let skip = self.kept.len().saturating_sub(backlog);
        CatchUp {
            recovered: false,
            frames: self
                .kept
                .iter()
                .skip(skip)
                .map(|k| k.frame.clone())
                .collect(),
        }
    }

    /// Every message after `since`, if all of them are kept.
    fn after(&self, since: u64, epoch: Option<&str>, limits: &Limits) -> Option<Vec<Utf8Bytes>> {
        if limits.count == 0 || epoch != Some(&*self.epoch) || since > self.last {
            return None;
        }
        // The first message not kept any more is `first - 1`.
        let first = self.kept.front().map_or(self.last + 1, |k| k.seq);
        if since + 1 < first {
            return None;
        }
        let skip = usize::try_from(since + 1 - first).unwrap_or(usize::MAX);
        Some(
            self.kept
                .iter()
                .skip(skip)
                .map(|k| k.frame.clone())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(count: usize) -> Limits {
        Limits {
            count,
            ..Limits::default()
        }
    }

    fn say(history: &mut History, id: Option<&str>, limits: &Limits, now: Instant) -> u64 {
        history
            .append(id, now, limits, |seq| Utf8Bytes::from(seq.to_string()))
            .0
    }

    fn seqs(frames: &[Utf8Bytes]) -> Vec<u64> {
        frames.iter().map(|f| f.as_str().parse().unwrap()).collect()
    }

    #[test]
    fn numbering_is_one_two_three_and_outlives_what_is_kept() {
        let now = Instant::now();
        let mut h = History::default();
        let l = limits(3);
        for expected in 1..=5 {
            assert_eq!(say(&mut h, None, &l, now), expected);
        }
        let epoch = h.epoch().to_owned();
        let fresh = h.catch_up(None, 50, &l);
        assert!(!fresh.recovered);
        assert_eq!(seqs(&fresh.frames), [3, 4, 5]);
        let exact = h.catch_up(Some((2, Some(&epoch))), 50, &l);
        assert!(exact.recovered);
        assert_eq!(seqs(&exact.frames), [3, 4, 5]);
        let nothing_missed = h.catch_up(Some((5, Some(&epoch))), 1, &l);
        assert!(nothing_missed.recovered);
        assert!(nothing_missed.frames.is_empty());
        for lost in [
            h.catch_up(Some((1, Some(&epoch))), 1, &l),
            h.catch_up(Some((6, Some(&epoch))), 1, &l),
            h.catch_up(Some((4, Some("other"))), 1, &l),
            h.catch_up(Some((4, None)), 1, &l),
        ] {
            assert!(!lost.recovered);
            assert_eq!(seqs(&lost.frames), [5]);
        }
        h.trim(now + DEFAULT_TTL, &l);
        assert!(h.is_empty());
        assert_eq!(say(&mut h, None, &l, now + DEFAULT_TTL), 6);
    }

    #[test]
    fn ids_are_known_while_their_message_is_kept() {
        let now = Instant::now();
        let mut h = History::default();
        let l = limits(2);
        say(&mut h, Some("a"), &l, now);
        say(&mut h, Some("b"), &l, now);
        assert_eq!(h.placed("a"), Some(1));
        say(&mut h, None, &l, now);
        assert_eq!(h.placed("a"), None, "forgotten with its message");
        assert_eq!(h.placed("b"), Some(2));
    }

    #[test]
    fn no_history_keeps_nothing_and_resumes_nothing() {
        let now = Instant::now();
        let mut h = History::default();
        let l = limits(0);
        say(&mut h, Some("a"), &l, now);
        assert!(h.is_empty());
        assert_eq!(h.placed("a"), None);
        let epoch = h.epoch().to_owned();
        assert!(!h.catch_up(Some((1, Some(&epoch))), 50, &l).recovered);
    }

    #[test]
    fn bytes_bound_the_history() {
        let now = Instant::now();
        let mut h = History::default();
        let l = Limits {
            bytes: 10,
            ..Limits::default()
        };
        for _ in 0..20 {
            h.append(None, now, &l, |_| Utf8Bytes::from("abcd"));
        }
        assert_eq!(h.catch_up(None, 1000, &l).frames.len(), 2);
        assert_ne!(History::default().epoch(), History::default().epoch());
    }
}
