//! A run of the suite: which cases, against what, how many at once, and
//! the report it produces.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ws_check::Error> {
//! let report = ws_check::Suite::new().cases("1.*,2.*").run_against_server("ws://127.0.0.1:9001/echo").await?;
//! assert_eq!(report.failed(false), 0, "{:?}", report.failed_ids(false));
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use ws_handshake::Url;

use crate::cases::Definition;
use crate::catalogue::{Entry, all_ids, case_ids, entry, extra_case_ids};
use crate::engine::{Outcome, Timeouts, run_case};
use crate::pattern::{PatternError, Patterns};
use crate::plan::Event;
use crate::report::{CaseReport, Report};
use crate::tls::Trust;
use crate::transcript::preview;
use crate::verdict::Verdict;

/// Why a run could not be made.
#[derive(Debug)]
pub enum Error {
    /// A `--cases` or `--exclude` pattern is invalid.
    Pattern(PatternError),
    /// The URL is not a `ws://` or `wss://` URL.
    Url(String),
    /// Nothing accepts connections at the URL.
    Unreachable(String),
    /// The TLS configuration for `wss://` cannot be made (a bad CA file).
    Tls(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern(e) => write!(f, "bad case pattern: {e}"),
            Self::Url(e) => write!(f, "bad URL: {e}"),
            Self::Unreachable(e) => write!(f, "cannot reach the server: {e}"),
            Self::Tls(e) => write!(f, "cannot set up TLS: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The default memory budget for cases in flight: each case reserves what
/// its largest message needs (three copies: sent, buffered, assembled).
pub const DEFAULT_MEMORY_BUDGET: usize = 512 * 1024 * 1024;

/// A configured run of the suite.
#[derive(Debug, Clone)]
pub struct Suite {
    cases: String,
    exclude: Option<String>,
    agent: String,
    jobs: usize,
    memory_budget: usize,
    timeouts: Timeouts,
    trust: Trust,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    /// Every case, agent `server`, `cores × 4` cases at once.
    #[must_use]
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            cases: "*".into(),
            exclude: None,
            agent: "server".into(),
            jobs: cores * 4,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            timeouts: Timeouts::default(),
            trust: Trust::default(),
        }
    }

    /// Which server certificates a `wss://` run accepts (default: the
    /// public web roots).
    #[must_use]
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Selects cases: comma-separated ids, `*` matches any run.
    #[must_use]
    pub fn cases(mut self, patterns: &str) -> Self {
        patterns.clone_into(&mut self.cases);
        self
    }

    /// Leaves out cases, same syntax.
    #[must_use]
    pub fn exclude(mut self, patterns: &str) -> Self {
        self.exclude = Some(patterns.to_owned());
        self
    }

    /// The agent name in the reports.
    #[must_use]
    pub fn agent(mut self, agent: &str) -> Self {
        agent.clone_into(&mut self.agent);
        self
    }

    /// How many cases run at once (at least 1).
    #[must_use]
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Bytes the cases in flight may reserve for their messages.
    #[must_use]
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes.max(1 << 20);
        self
    }

    /// The timeouts of each case.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The agent name given to the suite.
    pub(crate) fn agent_name(&self) -> &str {
        &self.agent
    }

    /// The per-case timeouts.
    pub(crate) fn case_timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The ids selected, in catalogue order.
    ///
    /// # Errors
    /// [`Error::Pattern`] for an invalid pattern.
    pub fn selected(&self) -> Result<Vec<String>, Error> {
        let cases = Patterns::parse(&self.cases).map_err(Error::Pattern)?;
        let exclude = self
            .exclude
            .as_deref()
            .map(Patterns::parse)
            .transpose()
            .map_err(Error::Pattern)?;
        let excluded = |id: &String| exclude.as_ref().is_some_and(|e| e.matches(id));
        let mut ids: Vec<String> = case_ids()
            .into_iter()
            .filter(|id| cases.matches(id) && !excluded(id))
            .collect();
        ids.extend(
            extra_case_ids()
                .into_iter()
                .filter(|id| cases.names_section_of(id) && !excluded(id)),
        );
        Ok(ids)
    }

    /// Runs the selected cases against the server at `url`, each on its
    /// own connection, [`Suite::jobs`] at once.
    ///
    /// # Errors
    /// A bad pattern or URL, nothing listening at the URL, or (`wss://`)
    /// a CA file without a usable certificate.
    pub async fn run_against_server(&self, url: &str) -> Result<Report, Error> {
        let selected = self.selected()?;
        let parsed = Url::parse(url).map_err(|e| Error::Url(format!("{url}: {e}")))?;
        let tls = if parsed.secure {
            Some(Arc::new(
                crate::tls::connector(&self.trust).map_err(Error::Tls)?,
            ))
        } else {
            None
        };
        tokio::net::TcpStream::connect((parsed.host.as_str(), parsed.port))
            .await
            .map_err(|e| Error::Unreachable(format!("{}:{}: {e}", parsed.host, parsed.port)))?;
        let all = all_ids();
        let jobs = Arc::new(Semaphore::new(self.jobs));
        let mib = u32::try_from(self.memory_budget >> 20)
            .unwrap_or(u32::MAX)
            .max(1);
        let memory = Arc::new(Semaphore::new(mib as usize));
        // Cases whose verdict has a deadline that a correct server meets
        // only when it is not starved (section 9's big messages and 1000
        // round trips, the compressed round trips of 12 and 13) run at
        // most one per core, whatever --jobs says: more at once only starve
        // each other, and the server, into their time limits.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let heavy = Arc::new(Semaphore::new(cores));
        let url = Arc::new(parsed);
        let mut tasks = tokio::task::JoinSet::new();
        for id in &selected {
            let number = all.iter().position(|x| x == id).map_or(0, |p| p + 1);
            let e = entry(number, id);
            let (jobs, memory, heavy, url, tls, timeouts) = (
                jobs.clone(),
                memory.clone(),
                heavy.clone(),
                url.clone(),
                tls.clone(),
                self.timeouts,
            );
            tasks.spawn(async move {
                let need = e.definition.as_ref().map_or(1, |d| {
                    u32::try_from((d.plan.max_message() * 3) >> 20)
                        .unwrap_or(u32::MAX)
                        .clamp(1, mib)
                });
                let is_heavy = e.definition.as_ref().is_some_and(|d| d.plan.is_heavy());
                let _heavy = if is_heavy {
                    Some(heavy.acquire().await)
                } else {
                    None
                };
                let _memory = memory.acquire_many(need).await;
                let _job = jobs.acquire().await;
                run_entry(e, &url, tls.as_deref(), timeouts).await
            });
        }
        let mut cases = Vec::with_capacity(selected.len());
        while let Some(done) = tasks.join_next().await {
            if let Ok(report) = done {
                cases.push(report);
            }
        }
        cases.sort_by_key(|c| c.case);
        Ok(Report {
            agent: self.agent.clone(),
            cases,
        })
    }
}

/// Runs one catalogue entry and turns the outcome into its report.
async fn run_entry(
    e: Entry,
    url: &Url,
    tls: Option<&TlsConnector>,
    timeouts: Timeouts,
) -> CaseReport {
    let Some(def) = e.definition else {
        return unimplemented(e.number, e.id);
    };
    let outcome = run_case(url, tls, &def.plan, timeouts).await;
    to_report(e.number, e.id, def, outcome)
}

/// The report of one case from what its run observed.
pub(crate) fn to_report(
    number: usize,
    id: String,
    def: Definition,
    outcome: Outcome,
) -> CaseReport {
    let expected = def
        .plan
        .expected
        .iter()
        .map(|(v, events)| (v.as_str().to_owned(), events.iter().map(describe).collect()))
        .collect();
    let Outcome {
        judgement: j,
        session,
        duration,
        http_request,
        http_response,
    } = outcome;
    let mut r = CaseReport {
        id,
        case: number,
        description: def.description,
        expectation: def.expectation,
        behavior: j.behavior,
        behavior_close: j.behavior_close,
        result: j.result,
        result_close: j.result_close,
        duration: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        remote_close_code: None,
        remote_close_reason: None,
        expected,
        received: Vec::new(),
        closed_by_me: false,
        failed_by_me: false,
        dropped_by_me: false,
        was_clean: false,
        was_not_clean_reason: None,
        http_request,
        http_response,
        transcript: Default::default(),
    };
    if let Some(s) = session {
        r.remote_close_code = s.remote_close_code;
        r.remote_close_reason = s.remote_close_reason;
        r.received = s.received.iter().map(describe).collect();
        r.closed_by_me = s.closed_by_me;
        r.failed_by_me = s.failed_by_me;
        r.dropped_by_me = s.dropped_by_me;
        r.was_clean = s.was_clean;
        r.was_not_clean_reason = s.not_clean_reason;
        r.transcript = s.transcript;
    }
    r
}

pub(crate) fn unimplemented(number: usize, id: String) -> CaseReport {
    CaseReport {
        id,
        case: number,
        description: "Not implemented by ws-check yet.".into(),
        expectation: String::new(),
        behavior: Verdict::Unimplemented,
        behavior_close: Verdict::Unimplemented,
        result: "ws-check does not implement this case yet; nothing was sent.".into(),
        result_close: String::new(),
        duration: 0,
        remote_close_code: None,
        remote_close_reason: None,
        expected: Default::default(),
        received: Vec::new(),
        closed_by_me: false,
        failed_by_me: false,
        dropped_by_me: false,
        was_clean: false,
        was_not_clean_reason: None,
        http_request: String::new(),
        http_response: String::new(),
        transcript: Default::default(),
    }
}

/// `message text 13 "Hello, world!"`, `pong ""`, `timeout A`.
fn describe(e: &Event) -> String {
    match e {
        Event::Message {
            binary,
            payload,
            len,
        } => {
            let kind = if *binary { "binary" } else { "text" };
            if payload.is_empty() && *len > 0 {
                format!("message {kind} {len} bytes")
            } else {
                format!("message {kind} {len} bytes {}", preview(payload))
            }
        }
        Event::Ping(p) => format!("ping {}", preview(p)),
        Event::Pong(p) => format!("pong {}", preview(p)),
        Event::Timeout(t) => format!("timeout {t}"),
    }
}
