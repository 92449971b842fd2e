//! Where something was found: a project-relative file and, when known, a
//! 1-based line. Written `file:line` (or `file`) in messages and JSON.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// 1-based line of a byte offset in `text` (an offset past the end is the
/// last line).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// Project-relative path with `/` separators.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
}

impl Location {
    pub fn new(file: impl Into<String>, line: usize) -> Self {
        Location {
            file: file.into(),
            line: (line > 0).then_some(line),
        }
    }
    /// A whole file (no line).
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            line: None,
        }
    }
    /// Reads the `file:line` / `file` form written by [`fmt::Display`].
    pub fn parse(text: &str) -> Self {
        match text.rsplit_once(':') {
            Some((file, line)) if !file.is_empty() => match line.parse::<usize>() {
                Ok(n) => Location::new(file, n),
                Err(_) => Location::file(text),
            },
            _ => Location::file(text),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// Compares with the written form (`"requirements.txt:3"`).
impl PartialEq<&str> for Location {
    fn eq(&self, other: &&str) -> bool {
        *self == Location::parse(other)
    }
}

impl From<&str> for Location {
    fn from(text: &str) -> Self {
        Location::parse(text)
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Location::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn display_and_parse_round_trip() {
        for (text, file, line) in [
            ("requirements.txt:3", "requirements.txt", Some(3)),
            ("environment.yml", "environment.yml", None),
            ("a:b/req.txt:12", "a:b/req.txt", Some(12)),
        ] {
            let l = Location::parse(text);
            assert_eq!(l.file, file);
            assert_eq!(l.line, line);
            assert_eq!(l.to_string(), text);
        }
        assert_eq!(Location::new("x.txt", 0).to_string(), "x.txt");
    }
}
