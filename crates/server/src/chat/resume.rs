//! What a joiner asks of the history, from the query of
//! `/chat/{room}?since=S&epoch=E&backlog=K` (`docs/server-interface.md`
//! §4.6). Checked before the upgrade, so
//! that a malformed value is a plain HTTP 400 with its reason instead of a
//! WebSocket that then behaves in some surprising way.

/// Longest `epoch` accepted (the server's own are 16 characters).
const MAX_EPOCH_CHARS: usize = 64;

/// A joiner's request: a resume (`since`, `epoch`) and how much backlog a
/// fresh join wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    /// The last `seq` the client has; `None`: a fresh join.
    pub(crate) since: Option<u64>,
    /// The epoch that `since` counts in.
    pub(crate) epoch: Option<String>,
    /// Messages wanted on a fresh (or unrecovered) join; `None`: the
    /// default, 50 (at most the history's size).
    pub(crate) backlog: Option<u64>,
}

impl Resume {
    /// `since` and `epoch` together, if this is a resume.
    pub(crate) fn point(&self) -> Option<(u64, Option<&str>)> {
        self.since.map(|since| (since, self.epoch.as_deref()))
    }
}

/// Reads `since`, `epoch` and `backlog` from a query string (the first of
/// each; other parameters are someone else's).
///
/// # Errors
/// A short reason, for the 400 answer: `since` or `backlog` not a decimal
/// number (without sign, at most 2^64 - 1), `epoch` not 1–64 characters of
/// `[A-Za-z0-9_-]`.
pub(crate) fn resume_of(query: Option<&str>) -> Result<Resume, String> {
    let mut resume = Resume::default();
    let (mut since, mut epoch, mut backlog) = (false, false, false);
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "since" if !since => {
                since = true;
                resume.since = Some(number("since", value)?);
            }
            "backlog" if !backlog => {
                backlog = true;
                resume.backlog = Some(number("backlog", value)?);
            }
            "epoch" if !epoch => {
                epoch = true;
                let valid = (1..=MAX_EPOCH_CHARS).contains(&value.len())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(format!(
                        "epoch must be 1-{MAX_EPOCH_CHARS} characters of A-Z a-z 0-9 _ -"
                    ));
                }
                resume.epoch = Some(value.to_owned());
            }
            _ => {}
        }
    }
    Ok(resume)
}

fn number(key: &str, value: &str) -> Result<u64, String> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| value.parse().ok())
        .flatten()
        .ok_or_else(|| format!("{key} must be a whole number from 0 to {}", u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_epoch_and_backlog() {
        assert_eq!(resume_of(None), Ok(Resume::default()));
        assert_eq!(
            resume_of(Some("name=a&since=12&epoch=ab-C_9&backlog=0")),
            Ok(Resume {
                since: Some(12),
                epoch: Some("ab-C_9".into()),
                backlog: Some(0),
            })
        );
        let first = resume_of(Some("since=1&since=x")).unwrap();
        assert_eq!(first.since, Some(1), "the first of each counts");
    }

    #[test]
    fn malformed_values_are_refused_with_a_reason() {
        for query in [
            "since=",
            "since",
            "since=-1",
            "since=+1",
            "since=1.5",
            "since=abc",
            "since=18446744073709551616",
            "backlog=x",
            "backlog=-3",
            "epoch=",
            "epoch=a%20b",
            "epoch=a.b",
        ] {
            let why = resume_of(Some(query)).expect_err(query);
            assert!(why.starts_with(query.split('=').next().unwrap()), "{why}");
        }
        let long = format!("epoch={}", "e".repeat(MAX_EPOCH_CHARS + 1));
        assert!(resume_of(Some(&long)).is_err());
    }
}
