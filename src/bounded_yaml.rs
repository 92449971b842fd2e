//! YAML from outside (environment.yml, mlcontain.yaml) parsed within
//! bounds: a size cap, a nesting-depth cap checked before parsing, and a
//! deadline, so a hostile file is an error naming it, never a hang.

use std::sync::mpsc;
use std::time::Duration;

/// Largest YAML text parsed (an environment file is a few KB).
pub const YAML_CAP: usize = 1024 * 1024;
/// Deepest flow (`[`/`{`) or block nesting accepted.
pub const YAML_DEPTH: usize = 64;
/// Longest a parse may take.
pub const YAML_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum YamlLimitError {
    #[error("larger than {YAML_CAP} bytes")]
    TooLarge,
    #[error("nested deeper than {YAML_DEPTH} levels")]
    TooDeep { line: usize },
    #[error("parsing took longer than {} s", YAML_DEADLINE.as_secs())]
    Timeout,
    #[error("{0}")]
    Parse(#[from] serde_yaml::Error),
}

impl YamlLimitError {
    /// The 1-based line the problem is on, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            YamlLimitError::TooDeep { line } => Some(*line),
            YamlLimitError::Parse(e) => e.location().map(|l| l.line()),
            _ => None,
        }
    }
}

/// The first line where flow brackets or block indentation nest deeper
/// than [`YAML_DEPTH`] (quotes and comments skipped), or None.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        if depth == 0 && indent / 2 > YAML_DEPTH {
            return Some(i + 1);
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for c in line.chars() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '#' if prev.is_whitespace() => break,
                    '"' | '\'' if matches!(prev, ' ' | '[' | '{' | ',' | ':') => quote = Some(c),
                    '[' | '{' => {
                        depth += 1;
                        if depth > YAML_DEPTH {
                            return Some(i + 1);
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
        }
    }
    None
}

/// Parses `text` as YAML within the bounds above.
pub fn parse<T>(text: &str) -> Result<T, YamlLimitError>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    if text.len() > YAML_CAP {
        return Err(YamlLimitError::TooLarge);
    }
    if let Some(line) = too_deep(text) {
        return Err(YamlLimitError::TooDeep { line });
    }
    // Small texts parse in place; larger ones on a thread with a deadline
    // (a parse cannot be interrupted, so a late one is left to finish).
    if text.len() < 64 * 1024 {
        return Ok(serde_yaml::from_str(text)?);
    }
    let (tx, rx) = mpsc::channel();
    let owned = text.to_string();
    std::thread::Builder::new()
        .name("yaml-parse".into())
        .spawn(move || {
            let _ = tx.send(serde_yaml::from_str::<T>(&owned));
        })
        .map_err(|_| YamlLimitError::Timeout)?;
    match rx.recv_timeout(YAML_DEADLINE) {
        Ok(r) => Ok(r?),
        Err(_) => Err(YamlLimitError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let v: serde_yaml::Value = parse("a: [1, {b: 'x[y'}]  # [[[\n").unwrap();
        assert!(v.get("a").is_some());
        let deep = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        let e = parse::<serde_yaml::Value>(&deep).unwrap_err();
        assert!(matches!(e, YamlLimitError::TooDeep { line: 1 }), "{e}");
        let big = "a: 1\n".repeat(YAML_CAP / 5 + 1);
        assert!(matches!(
            parse::<serde_yaml::Value>(&big),
            Err(YamlLimitError::TooLarge)
        ));
        let e = parse::<serde_yaml::Value>("a: [1,\n").unwrap_err();
        assert!(e.line().is_some(), "{e}");
    }
}
