//! Case selection: comma-separated patterns where `*` matches any run of
//! characters (`1.*,6.4.*,9.1.1`), matched against the whole case id, as
//! Autobahn's `cases` and `exclude-cases` lists are.

use std::fmt;

/// A list of case-id patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns(Vec<String>);

/// Why a pattern list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl Patterns {
    /// Parses `1.*,6.4.*,9.1.1`. Each pattern may hold digits, dots and `*`.
    ///
    /// # Errors
    /// An empty list, an empty pattern or another character.
    pub fn parse(list: &str) -> Result<Self, PatternError> {
        let mut out = Vec::new();
        for part in list.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(PatternError(format!("empty case pattern in {list:?}")));
            }
            if let Some(c) = part
                .chars()
                .find(|c| !(c.is_ascii_digit() || *c == '.' || *c == '*'))
            {
                return Err(PatternError(format!(
                    "case pattern {part:?} holds {c:?}: only digits, '.' and '*' are allowed"
                )));
            }
            out.push(part.to_owned());
        }
        Ok(Self(out))
    }

    /// Whether `id` matches one of the patterns.
    #[must_use]
    pub fn matches(&self, id: &str) -> bool {
        self.0.iter().any(|p| glob(p.as_bytes(), id.as_bytes()))
    }
}

impl Patterns {
    /// Whether `id` matches a pattern that names its section literally
    /// (`14.*`, `14.1.3`; not `*` or `1*`): how the sections beyond
    /// Autobahn are selected, so that Autobahn's patterns keep selecting
    /// exactly Autobahn's cases.
    #[must_use]
    pub fn names_section_of(&self, id: &str) -> bool {
        let section = id.split('.').next().unwrap_or(id);
        self.0.iter().any(|p| {
            let literal = p.split('*').next().unwrap_or("");
            let names = literal == section || literal.starts_with(&format!("{section}."));
            names && glob(p.as_bytes(), id.as_bytes())
        })
    }
}

/// `*` matches any run (also empty); every other byte matches itself.
/// Iterative with one backtrack point, so linear in practice and never
/// recursive on hostile input.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_ids() {
        let p = Patterns::parse("1.*,6.4.*,9.1.1").unwrap();
        assert!(p.matches("1.1.1"));
        assert!(p.matches("6.4.3"));
        assert!(p.matches("9.1.1"));
        assert!(!p.matches("9.1.10"));
        assert!(!p.matches("10.1.1"));
        assert!(Patterns::parse("*").unwrap().matches("13.7.18"));
    }

    #[test]
    fn the_extra_sections_need_their_number() {
        assert!(Patterns::parse("14.*").unwrap().names_section_of("14.1.3"));
        assert!(
            Patterns::parse("1.*,14.2.1")
                .unwrap()
                .names_section_of("14.2.1")
        );
        assert!(
            !Patterns::parse("14.2.1")
                .unwrap()
                .names_section_of("14.2.2")
        );
        assert!(!Patterns::parse("*").unwrap().names_section_of("14.1.3"));
        assert!(!Patterns::parse("1*").unwrap().names_section_of("14.1.3"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Patterns::parse("").is_err());
        assert!(Patterns::parse("1.*,,2").is_err());
        assert!(Patterns::parse("1.[1]").is_err());
    }
}
