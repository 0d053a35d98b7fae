//! The reports: `index.json` in Autobahn's format (agent → case id →
//! verdicts, duration, the peer's close code, the case's own report file),
//! one JSON file per case with everything observed, and a Markdown report
//! for people: what was sent, what came back, and why the verdict.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::transcript::Transcript;
use crate::verdict::Verdict;

/// Everything known about one case after it ran.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// The case id, e.g. `5.19`.
    pub id: String,
    /// Its 1-based number in the catalogue.
    pub case: usize,
    /// What the case sends.
    pub description: String,
    /// What a conforming peer does.
    pub expectation: String,
    /// The verdict on what was exchanged.
    pub behavior: Verdict,
    /// The verdict on how the connection ended.
    pub behavior_close: Verdict,
    /// Why `behavior`.
    pub result: String,
    /// Why `behaviorClose`.
    pub result_close: String,
    /// Milliseconds from the open connection to its end.
    pub duration: u64,
    /// The code of the peer's Close.
    pub remote_close_code: Option<u16>,
    /// The reason of the peer's Close.
    pub remote_close_reason: Option<String>,
    /// The expected event sequences, described.
    pub expected: BTreeMap<String, Vec<String>>,
    /// The events seen, described.
    pub received: Vec<String>,
    /// The checker started the close.
    pub closed_by_me: bool,
    /// The checker failed the connection.
    pub failed_by_me: bool,
    /// The checker dropped TCP.
    pub dropped_by_me: bool,
    /// The close handshake completed.
    pub was_clean: bool,
    /// Why it did not.
    pub was_not_clean_reason: Option<String>,
    /// The opening handshake request.
    pub http_request: String,
    /// The opening handshake response.
    pub http_response: String,
    /// The traffic.
    pub transcript: Transcript,
}

impl CaseReport {
    /// Whether this case counts as failed (`strict`: NON-STRICT too).
    #[must_use]
    pub fn is_failure(&self, strict: bool) -> bool {
        self.behavior.is_failure(strict) || self.behavior_close.is_failure(strict)
    }

    /// The name of this case's report files (without extension), as
    /// Autobahn names them: `agent_case_1_2_3`.
    #[must_use]
    pub fn file_stem(&self, agent: &str) -> String {
        let agent: String = agent
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{agent}_case_{}", self.id.replace('.', "_"))
    }
}

/// The results of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The agent name the results are filed under.
    pub agent: String,
    /// Every case run, in catalogue order.
    pub cases: Vec<CaseReport>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry {
    behavior: Verdict,
    behavior_close: Verdict,
    duration: u64,
    remote_close_code: Option<u16>,
    reportfile: String,
}

impl Report {
    /// The case with this id.
    #[must_use]
    pub fn case(&self, id: &str) -> Option<&CaseReport> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// Cases that did not fail (`strict`: NON-STRICT counts as failed).
    #[must_use]
    pub fn passed(&self, strict: bool) -> usize {
        self.cases.len() - self.failed(strict)
    }

    /// Cases that failed: FAILED (or a failed close) always, NON-STRICT
    /// when `strict`.
    #[must_use]
    pub fn failed(&self, strict: bool) -> usize {
        self.cases.iter().filter(|c| c.is_failure(strict)).count()
    }

    /// The ids of the failed cases.
    #[must_use]
    pub fn failed_ids(&self, strict: bool) -> Vec<&str> {
        self.cases
            .iter()
            .filter(|c| c.is_failure(strict))
            .map(|c| c.id.as_str())
            .collect()
    }

    /// `N passed, M failed`.
    #[must_use]
    pub fn summary(&self, strict: bool) -> String {
        format!(
            "{} passed, {} failed",
            self.passed(strict),
            self.failed(strict)
        )
    }

    /// `index.json` as Autobahn writes it.
    #[must_use]
    pub fn index_json(&self) -> serde_json::Value {
        let mut cases = serde_json::Map::new();
        for c in &self.cases {
            let entry = IndexEntry {
                behavior: c.behavior,
                behavior_close: c.behavior_close,
                duration: c.duration,
                remote_close_code: c.remote_close_code,
                reportfile: format!("{}.json", c.file_stem(&self.agent)),
            };
            cases.insert(
                c.id.clone(),
                serde_json::to_value(entry).unwrap_or_default(),
            );
        }
        let mut top = serde_json::Map::new();
        top.insert(self.agent.clone(), serde_json::Value::Object(cases));
        serde_json::Value::Object(top)
    }

    /// Writes `index.json`, `index.md` and one `.json` and `.md` per case
    /// into `dir` (created if needed).
    ///
    /// # Errors
    /// Any IO error creating the directory or writing a file.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        std::fs::write(dir.join("index.json"), pretty(&self.index_json()))?;
        for c in &self.cases {
            let stem = c.file_stem(&self.agent);
            let json = serde_json::to_value(c).unwrap_or_default();
            std::fs::write(dir.join(format!("{stem}.json")), pretty(&json))?;
            std::fs::write(
                dir.join(format!("{stem}.md")),
                case_markdown(&self.agent, c),
            )?;
        }
        std::fs::write(dir.join("index.md"), self.markdown())?;
        Ok(())
    }

    /// The overview page.
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# ws-check report for `{}`\n\n{}\n\n",
            self.agent,
            self.summary(false)
        );
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &self.cases {
            *counts.entry(c.behavior.as_str()).or_default() += 1;
        }
        for (k, v) in counts {
            let _ = writeln!(s, "- {k}: {v}");
        }
        s.push_str("\n| case | behavior | close | ms | remote code | description |\n|---|---|---|---|---|---|\n");
        for c in &self.cases {
            let code = c
                .remote_close_code
                .map_or_else(String::new, |c| c.to_string());
            let _ = writeln!(
                s,
                "| [{}]({}.md) | {} | {} | {} | {} | {} |",
                c.id,
                c.file_stem(&self.agent),
                c.behavior,
                c.behavior_close,
                c.duration,
                code,
                c.description.replace('|', "\\|")
            );
        }
        s
    }
}

/// One case's page.
fn case_markdown(agent: &str, c: &CaseReport) -> String {
    let mut s = format!("# Case {} ({agent})\n\n", c.id);
    let _ = writeln!(s, "**{}**: {}\n", c.description, c.expectation);
    let _ = writeln!(s, "- behavior: **{}** — {}", c.behavior, c.result);
    let _ = writeln!(
        s,
        "- behaviorClose: **{}** — {}",
        c.behavior_close, c.result_close
    );
    let _ = writeln!(s, "- duration: {} ms", c.duration);
    let _ = writeln!(
        s,
        "- remote close: {:?} {:?}; closed by the checker: {}, dropped by the checker: {}, clean: {}{}",
        c.remote_close_code,
        c.remote_close_reason,
        c.closed_by_me,
        c.dropped_by_me,
        c.was_clean,
        c.was_not_clean_reason
            .as_ref()
            .map_or_else(String::new, |r| format!(" ({r})"))
    );
    s.push_str("\n## Expected\n\n");
    for (verdict, events) in &c.expected {
        let _ = writeln!(s, "- {verdict}: [{}]", events.join(", "));
    }
    let _ = writeln!(
        s,
        "\n## Received\n\n[{}]\n\n## Wire\n\n```text",
        c.received.join(", ")
    );
    for l in &c.transcript.lines {
        let dir = match l.dir {
            crate::transcript::Dir::Sent => "->",
            crate::transcript::Dir::Received => "<-",
            crate::transcript::Dir::Note => "..",
        };
        let _ = writeln!(s, "{:>6} ms {dir} {}", l.ms, l.text);
    }
    if c.transcript.dropped > 0 {
        let _ = writeln!(s, "... {} more lines not kept", c.transcript.dropped);
    }
    let _ = writeln!(
        s,
        "```\n\n## Opening handshake\n\n```text\n{}{}```",
        c.http_request, c.http_response
    );
    s
}
