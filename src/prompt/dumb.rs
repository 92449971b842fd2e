//! The questions asked as plain lines, for terminals that cannot move a
//! cursor (`TERM=dumb`, no `TERM`) and for output that is not a terminal:
//! numbered options, the default shown and echoed, Enter accepts it, `<`
//! goes back, invalid input asks again, end of input (Ctrl-D) cancels. The
//! terminal stays in its normal line mode (the kernel echoes and edits the
//! line), and nothing written contains an escape sequence: text from the
//! project (file names in labels) has its control characters spelled out.

use super::question::{Answer, Ask, Confirm, Multi, Select, Text};
use crate::term::Stop;
use anyhow::{Context, Result};
use std::io::{BufRead, Write};

/// The longest answer read; a longer line is refused (and skipped, bounded).
pub const MAX_LINE: usize = 4096;

/// What typing `<` means.
const BACK: &str = "<";

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Text(String),
    /// End of input (Ctrl-D at the start of a line, a closed pipe).
    Eof,
    /// Longer than [`MAX_LINE`] (the rest of it was skipped).
    TooLong,
    /// Not UTF-8.
    NotText,
    /// The terminal went away (EIO).
    Hangup,
}

/// Questions as lines read from `input`, written to `out`.
pub struct Dumb<R, W> {
    input: R,
    out: W,
}

impl Dumb<std::io::StdinLock<'static>, std::io::Stderr> {
    /// On the terminal: answers from stdin, questions on stderr (where the
    /// rich prompts draw too, so stdout stays for the results).
    pub fn stdio() -> Self {
        Dumb::new(std::io::stdin().lock(), std::io::stderr())
    }
}

/// What the watch does on a signal while a line is read: end the line
/// (the terminal's modes were never changed).
pub fn restore() {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(b"\n");
    let _ = e.flush();
}

/// `s` on one line with every control character spelled out (`\u{1b}`,
/// `\n`), so no text from a project can move the cursor or change colours.
pub fn visible(s: &str) -> String {
    crate::redact::terminal_safe(s)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

impl<R: BufRead, W: Write> Dumb<R, W> {
    pub fn new(input: R, out: W) -> Self {
        Dumb { input, out }
    }

    /// Read one line, at most [`MAX_LINE`] bytes kept.
    fn line(&mut self) -> Result<Line> {
        let mut buf: Vec<u8> = vec![];
        let mut too_long = false;
        loop {
            let avail = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::EIO) => return Ok(Line::Hangup),
                Err(e) => return Err(e).context("reading the answer"),
            };
            if avail.is_empty() {
                if buf.is_empty() && !too_long {
                    return Ok(Line::Eof);
                }
                break;
            }
            let (take, done) = match avail.iter().position(|b| *b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if buf.len() + take > MAX_LINE {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
            self.input.consume(if done { take + 1 } else { take });
            if done {
                break;
            }
        }
        if too_long {
            return Ok(Line::TooLong);
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(match String::from_utf8(buf) {
            Ok(s) => Line::Text(s),
            Err(_) => Line::NotText,
        })
    }

    fn say(&mut self, s: &str) -> Result<()> {
        writeln!(self.out, "{s}").context("writing the question")
    }

    /// Print `prompt` (no newline) and read the answer: Ok(text), or the
    /// answer that ends the question (back, cancel, hang-up). Unreadable
    /// lines are refused here and asked again.
    fn ask(&mut self, prompt: &str) -> Result<std::result::Result<String, Answer<()>>> {
        loop {
            write!(self.out, "{prompt}").context("writing the question")?;
            self.out.flush().context("writing the question")?;
            match self.line()? {
                Line::Text(t) if t.trim() == BACK => return Ok(Err(Answer::Back)),
                Line::Text(t) => return Ok(Ok(t.trim().to_string())),
                Line::Eof => {
                    // Ctrl-D leaves the cursor after the prompt.
                    self.say("")?;
                    return Ok(Err(Answer::Cancel));
                }
                Line::Hangup => return Ok(Err(Answer::Stop(Stop::Hangup))),
                Line::TooLong => self.say(&format!("  ✗ that is longer than {MAX_LINE} bytes"))?,
                Line::NotText => self.say("  ✗ that is not UTF-8 text")?,
            }
        }
    }

    fn options(&mut self, options: &[String], on: Option<&[usize]>) -> Result<()> {
        for (i, o) in options.iter().enumerate() {
            let mark = match on {
                Some(on) if on.contains(&i) => "[x] ",
                Some(_) => "[ ] ",
                None => "",
            };
            self.say(&format!("  {:>2}. {mark}{}", i + 1, visible(o)))?;
        }
        Ok(())
    }
}

/// The end of a question as an answer of another type.
fn ended<T>(a: Answer<()>) -> Answer<T> {
    match a {
        Answer::Back => Answer::Back,
        Answer::Stop(s) => Answer::Stop(s),
        Answer::Value(()) | Answer::Cancel => Answer::Cancel,
    }
}

/// Option numbers typed as `2`, `1,3` or `1 3` (1-based) -> indices.
fn numbers(text: &str, n: usize) -> std::result::Result<Vec<usize>, String> {
    let mut out = vec![];
    for part in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        match part.parse::<usize>() {
            Ok(k) if (1..=n).contains(&k) => {
                if !out.contains(&(k - 1)) {
                    out.push(k - 1);
                }
            }
            _ => {
                return Err(format!(
                    "`{}` is not an option: type a number from 1 to {n}",
                    visible(part)
                ))
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

impl<R: BufRead, W: Write> Ask for Dumb<R, W> {
    fn select(&mut self, q: &Select) -> Result<Answer<usize>> {
        let n = q.options.len();
        let default = q.default.min(n.saturating_sub(1));
        self.say(q.prompt)?;
        self.options(&q.options, None)?;
        if let Some(h) = q.help {
            self.say(&format!("  ({h})"))?;
        }
        let dflt = q
            .options
            .get(default)
            .map(|o| visible(o))
            .unwrap_or_default();
        let prompt = format!("Choose 1-{n} [Enter: {}. {dflt}; < back]: ", default + 1);
        loop {
            let t = match self.ask(&prompt)? {
                Ok(t) => t,
                Err(a) => return Ok(ended(a)),
            };
            if t.is_empty() {
                self.say(&format!("  → {dflt} (default)"))?;
                return Ok(Answer::Value(default));
            }
            match numbers(&t, n) {
                Ok(k) if k.len() == 1 => {
                    self.say(&format!("  → {}", visible(&q.options[k[0]])))?;
                    return Ok(Answer::Value(k[0]));
                }
                Ok(_) => self.say(&format!("  ✗ choose one number from 1 to {n}"))?,
                Err(e) => self.say(&format!("  ✗ {e}"))?,
            }
        }
    }

    fn multi(&mut self, q: &Multi) -> Result<Answer<Vec<usize>>> {
        let n = q.options.len();
        self.say(q.prompt)?;
        self.options(&q.options, Some(&q.defaults))?;
        let on: Vec<String> = q.defaults.iter().map(|i| (i + 1).to_string()).collect();
        let prompt = format!(
            "Choose numbers, e.g. 1,3 [Enter: {}; < back]: ",
            if on.is_empty() {
                "none".to_string()
            } else {
                on.join(",")
            }
        );
        loop {
            let t = match self.ask(&prompt)? {
                Ok(t) => t,
                Err(a) => return Ok(ended(a)),
            };
            let (chosen, default) = if t.is_empty() {
                let mut d = q.defaults.clone();
                d.sort_unstable();
                (Ok(d), true)
            } else {
                (numbers(&t, n), false)
            };
            match chosen.and_then(|c| (q.check)(&c).map(|()| c)) {
                Ok(c) => {
                    let labels: Vec<String> = c.iter().map(|i| visible(&q.options[*i])).collect();
                    let note = if default { " (default)" } else { "" };
                    self.say(&format!("  → {}{note}", labels.join("; ")))?;
                    return Ok(Answer::Value(c));
                }
                Err(e) => self.say(&format!("  ✗ {e}"))?,
            }
        }
    }

    fn text(&mut self, q: &Text) -> Result<Answer<String>> {
        self.say(q.prompt)?;
        self.say(&format!("  ({})", q.help))?;
        let placeholder = visible(q.placeholder);
        let prompt = if q.initial.is_empty() {
            format!("[Enter: {placeholder}; < back]: ")
        } else {
            format!(
                "[Enter: {}; - : {placeholder}; < back]: ",
                visible(q.initial)
            )
        };
        loop {
            let t = match self.ask(&prompt)? {
                Ok(t) => t,
                Err(a) => return Ok(ended(a)),
            };
            let t = match t.as_str() {
                "" => q.initial.to_string(),
                "-" if !q.initial.is_empty() => String::new(),
                _ => t,
            };
            match (q.check)(&t) {
                Ok(()) => {
                    if !t.is_empty() && t == q.initial {
                        self.say(&format!("  → {} (kept)", visible(&t)))?;
                    }
                    return Ok(Answer::Value(t));
                }
                Err(e) => self.say(&format!("  ✗ {e}"))?,
            }
        }
    }

    fn confirm(&mut self, q: &Confirm) -> Result<Answer<bool>> {
        let prompt = format!(
            "{} [{}; < back]: ",
            q.prompt,
            if q.default { "Y/n" } else { "y/N" }
        );
        loop {
            let t = match self.ask(&prompt)? {
                Ok(t) => t,
                Err(a) => return Ok(ended(a)),
            };
            let yes = match t.to_ascii_lowercase().as_str() {
                "" => {
                    let d = if q.default { "yes" } else { "no" };
                    self.say(&format!("  → {d} (default)"))?;
                    return Ok(Answer::Value(q.default));
                }
                "y" | "yes" => true,
                "n" | "no" => false,
                _ => {
                    self.say("  ✗ answer y or n")?;
                    continue;
                }
            };
            return Ok(Answer::Value(yes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(input: &str, f: impl FnOnce(&mut Dumb<&[u8], &mut Vec<u8>>) -> T) -> (T, String) {
        let mut out = vec![];
        let r = {
            let mut d = Dumb::new(input.as_bytes(), &mut out);
            f(&mut d)
        };
        (r, String::from_utf8(out).unwrap())
    }

    fn select(opts: &[&str], default: usize) -> Select<'static> {
        Select {
            prompt: "Framework:",
            options: opts.iter().map(|s| s.to_string()).collect(),
            default,
            help: Some("the framework"),
        }
    }

    #[test]
    fn enter_takes_the_default_and_says_so() {
        let (a, out) = run("\n", |d| d.select(&select(&["PyTorch", "JAX"], 1)));
        assert_eq!(a.unwrap(), Answer::Value(1));
        assert!(out.contains("   1. PyTorch\n   2. JAX\n"), "{out}");
        assert!(out.contains("[Enter: 2. JAX; < back]"), "{out}");
        assert!(out.contains("→ JAX (default)"), "{out}");
    }

    #[test]
    fn invalid_input_asks_again() {
        let (a, out) = run("7\nx\n1 2\n1\n", |d| d.select(&select(&["A", "B"], 1)));
        assert_eq!(a.unwrap(), Answer::Value(0));
        assert_eq!(out.matches("Choose 1-2").count(), 4, "{out}");
        assert!(out.contains("`7` is not an option"), "{out}");
        assert!(out.contains("`x` is not an option"), "{out}");
        assert!(out.contains("choose one number"), "{out}");
        assert!(out.contains("→ A\n"), "{out}");
    }

    #[test]
    fn end_of_input_cancels_and_less_than_goes_back() {
        let (a, _) = run("", |d| d.select(&select(&["A"], 0)));
        assert_eq!(a.unwrap(), Answer::Cancel);
        let (a, _) = run("3\n", |d| d.select(&select(&["A"], 0)));
        assert_eq!(a.unwrap(), Answer::Cancel, "an invalid line, then the end");
        let (a, _) = run(" < \n", |d| d.select(&select(&["A"], 0)));
        assert_eq!(a.unwrap(), Answer::Back);
    }

    #[test]
    fn long_and_binary_lines_are_refused_bounded() {
        let long = format!("{}\n2\n", "1".repeat(MAX_LINE * 3));
        let (a, out) = run(&long, |d| d.select(&select(&["A", "B"], 0)));
        assert_eq!(a.unwrap(), Answer::Value(1));
        assert!(out.contains("longer than 4096 bytes"), "{out}");
        assert!(out.len() < 1000, "the long line is not echoed");
        let mut out = vec![];
        let bytes: &[u8] = b"\xff\xfe\n1\n";
        let a = Dumb::new(bytes, &mut out).select(&select(&["A", "B"], 1));
        assert_eq!(a.unwrap(), Answer::Value(0));
        assert!(String::from_utf8(out).unwrap().contains("not UTF-8"));
    }

    #[test]
    fn labels_show_control_characters_spelled_out() {
        let (_, out) = run("\n", |d| d.select(&select(&["evil\u{1b}[2J.py", "ok"], 0)));
        assert!(!out.contains('\u{1b}'), "{out:?}");
        assert!(out.contains("evil\\u{1b}[2J.py"), "{out}");
    }

    #[test]
    fn multi_validates_the_set() {
        fn one(s: &[usize]) -> std::result::Result<(), String> {
            if s.is_empty() {
                Err("choose at least one stage".into())
            } else {
                Ok(())
            }
        }
        let q = Multi {
            prompt: "Stages:",
            options: vec!["training".into(), "inference".into(), "dev".into()],
            defaults: vec![2],
            check: one,
        };
        let (a, out) = run("\n", |d| d.multi(&q));
        assert_eq!(a.unwrap(), Answer::Value(vec![2]));
        assert!(out.contains("   1. [ ] training\n"), "{out}");
        assert!(out.contains("   3. [x] dev\n"), "{out}");
        assert!(out.contains("→ dev (default)"), "{out}");
        let (a, out) = run(",\n3, 1\n", |d| d.multi(&q));
        assert_eq!(a.unwrap(), Answer::Value(vec![0, 2]));
        assert!(out.contains("✗ choose at least one stage"), "{out}");
        assert!(out.contains("→ training; dev\n"), "{out}");
    }

    #[test]
    fn text_keeps_the_current_answer_and_validates() {
        let port = |s: &str| match s {
            "" => Ok(()),
            s if s.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
            s => Err(format!("`{s}` is not a port")),
        };
        let q = Text {
            prompt: "Inference port:",
            initial: "",
            placeholder: "8000",
            help: "1-65535",
            check: &port,
        };
        let (a, out) = run("0\n9000\n", |d| d.text(&q));
        assert_eq!(a.unwrap(), Answer::Value("9000".into()));
        assert!(out.contains("[Enter: 8000; < back]"), "{out}");
        assert!(out.contains("✗ `0` is not a port"), "{out}");
        let (a, _) = run("\n", |d| d.text(&q));
        assert_eq!(a.unwrap(), Answer::Value(String::new()));
        let saved = Text {
            initial: "9000",
            ..q
        };
        let (a, out) = run("\n", |d| d.text(&saved));
        assert_eq!(a.unwrap(), Answer::Value("9000".into()));
        assert!(out.contains("→ 9000 (kept)"), "{out}");
        let (a, _) = run("-\n", |d| d.text(&saved));
        assert_eq!(a.unwrap(), Answer::Value(String::new()), "- clears");
    }

    #[test]
    fn confirm_takes_y_n_or_the_default() {
        let q = Confirm {
            prompt: "Replace compose.yaml?",
            default: false,
        };
        let (a, out) = run("maybe\nY\n", |d| d.confirm(&q));
        assert_eq!(a.unwrap(), Answer::Value(true));
        assert!(out.contains("[y/N; < back]"), "{out}");
        assert!(out.contains("answer y or n"), "{out}");
        let (a, out) = run("\n", |d| d.confirm(&q));
        assert_eq!(a.unwrap(), Answer::Value(false));
        assert!(out.contains("→ no (default)"), "{out}");
    }

    #[test]
    fn crlf_lines_read_as_lines() {
        let (a, _) = run("2\r\n", |d| d.select(&select(&["A", "B"], 0)));
        assert_eq!(a.unwrap(), Answer::Value(1));
    }
}
