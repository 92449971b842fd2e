//! Syntax colouring for the preview: Dockerfile, YAML, Markdown and unified
//! diffs. Line-based and cheap (only the visible lines are coloured). Uses
//! the terminal's own palette colours, so it reads on dark and light
//! backgrounds; without colour (NO_COLOR) only bold/dim remain.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// The styles of the UI, with or without colour.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    pub fn plain(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn keyword(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }
    pub fn string(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn var(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn comment(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn added(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn removed(&self) -> Style {
        self.fg(Color::Red)
    }
    /// The highlighted row: reverse video reads on any background.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.accent()
        } else {
            self.dim()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Dockerfile,
    Yaml,
    Markdown,
    Diff,
    Plain,
}

pub fn lang_for(path: &str, diff: bool) -> Lang {
    if diff {
        Lang::Diff
    } else if path == "Dockerfile" {
        Lang::Dockerfile
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        Lang::Yaml
    } else if path.ends_with(".md") {
        Lang::Markdown
    } else {
        Lang::Plain
    }
}

/// Colour one line.
pub fn line<'a>(lang: Lang, text: &'a str, t: &Theme) -> Line<'a> {
    match lang {
        Lang::Dockerfile => dockerfile(text, t),
        Lang::Yaml => yaml(text, t),
        Lang::Markdown => markdown(text, t),
        Lang::Diff => diff(text, t),
        Lang::Plain => {
            if text.trim_start().starts_with('#') {
                Line::styled(text, t.comment())
            } else {
                Line::raw(text)
            }
        }
    }
}

const INSTRUCTIONS: [&str; 18] = [
    "FROM",
    "RUN",
    "COPY",
    "ADD",
    "ENV",
    "ARG",
    "WORKDIR",
    "USER",
    "EXPOSE",
    "CMD",
    "ENTRYPOINT",
    "HEALTHCHECK",
    "LABEL",
    "SHELL",
    "VOLUME",
    "STOPSIGNAL",
    "ONBUILD",
    "MAINTAINER",
];

fn dockerfile<'a>(text: &'a str, t: &Theme) -> Line<'a> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('#') {
        return Line::styled(text, t.comment());
    }
    let indent = text.len() - trimmed.len();
    let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let word = &trimmed[..word_end];
    let mut spans = vec![];
    let rest_start = if INSTRUCTIONS.contains(&word) {
        if indent > 0 {
            spans.push(Span::raw(&text[..indent]));
        }
        spans.push(Span::styled(&text[indent..indent + word_end], t.keyword()));
        indent + word_end
    } else {
        0
    };
    words(&text[rest_start..], t, &mut spans);
    Line::from(spans)
}

/// Strings, `$VARS`, `AS name`, `--flags` and `&&` inside a line.
fn words<'a>(s: &'a str, t: &Theme, spans: &mut Vec<Span<'a>>) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut start = 0;
    let flush = |spans: &mut Vec<Span<'a>>, from: usize, to: usize| {
        if to > from {
            spans.push(Span::raw(&s[from..to]));
        }
    };
    while i < b.len() {
        match b[i] {
            b'"' => {
                flush(spans, start, i);
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = (j + 1).min(b.len());
                spans.push(Span::styled(&s[i..end], t.string()));
                i = end;
                start = i;
            }
            b'$' => {
                flush(spans, start, i);
                let mut j = i + 1;
                if j < b.len() && b[j] == b'{' {
                    while j < b.len() && b[j] != b'}' {
                        j += 1;
                    }
                    j = (j + 1).min(b.len());
                } else {
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                }
                spans.push(Span::styled(&s[i..j], t.var()));
                i = j;
                start = i;
            }
            b'-' if b.get(i + 1) == Some(&b'-') && (i == 0 || b[i - 1] == b' ') => {
                flush(spans, start, i);
                let mut j = i;
                while j < b.len() && b[j] != b' ' && b[j] != b'=' {
                    j += 1;
                }
                spans.push(Span::styled(&s[i..j], t.key()));
                i = j;
                start = i;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                flush(spans, start, i);
                spans.push(Span::styled(&s[i..i + 2], t.keyword()));
                i += 2;
                start = i;
            }
            b'A' if s[i..].starts_with("AS ") && i > 0 && b[i - 1] == b' ' => {
                flush(spans, start, i);
                spans.push(Span::styled(&s[i..i + 2], t.keyword()));
                i += 2;
                start = i;
            }
            _ => i += 1,
        }
    }
    flush(spans, start, b.len());
}

fn yaml<'a>(text: &'a str, t: &Theme) -> Line<'a> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('#') {
        return Line::styled(text, t.comment());
    }
    let indent = text.len() - trimmed.len();
    let mut spans = vec![];
    let mut pos = indent;
    if indent > 0 {
        spans.push(Span::raw(&text[..indent]));
    }
    let body = &text[pos..];
    let body = if let Some(rest) = body.strip_prefix("- ") {
        spans.push(Span::styled(&text[pos..pos + 2], t.keyword()));
        pos += 2;
        rest
    } else {
        body
    };
    // `key:` (not inside quotes)
    if !body.starts_with('"') && !body.starts_with('\'') {
        if let Some(colon) = body.find(':') {
            let after = body.as_bytes().get(colon + 1);
            if after.is_none() || after == Some(&b' ') {
                spans.push(Span::styled(&text[pos..pos + colon], t.key()));
                spans.push(Span::raw(&text[pos + colon..pos + colon + 1]));
                pos += colon + 1;
            }
        }
    }
    let value = &text[pos..];
    let v = value.trim();
    if v.is_empty() {
        if !value.is_empty() {
            spans.push(Span::raw(value));
        }
    } else if let Some(h) = value.find(" #") {
        yaml_value(&value[..h], t, &mut spans);
        spans.push(Span::styled(&value[h..], t.comment()));
    } else {
        yaml_value(value, t, &mut spans);
    }
    Line::from(spans)
}

fn yaml_value<'a>(value: &'a str, t: &Theme, spans: &mut Vec<Span<'a>>) {
    let v = value.trim();
    let scalar =
        v.parse::<f64>().is_ok() || matches!(v, "true" | "false" | "null" | "~" | "yes" | "no");
    if v.starts_with('"') || v.starts_with('\'') {
        spans.push(Span::styled(value, t.string()));
    } else if scalar {
        spans.push(Span::styled(value, t.var()));
    } else if v.starts_with('&') || v.starts_with('*') || v.starts_with('|') || v.starts_with('>') {
        spans.push(Span::styled(value, t.keyword()));
    } else {
        words(value, t, spans);
    }
}

fn markdown<'a>(text: &'a str, t: &Theme) -> Line<'a> {
    if text.starts_with('#') {
        Line::styled(text, t.accent())
    } else if text.starts_with("```") || text.starts_with("    ") {
        Line::styled(text, t.string())
    } else if text.starts_with("- ") || text.starts_with("* ") {
        Line::from(vec![
            Span::styled(&text[..2], t.keyword()),
            Span::raw(&text[2..]),
        ])
    } else {
        Line::raw(text)
    }
}

fn diff<'a>(text: &'a str, t: &Theme) -> Line<'a> {
    if text.starts_with("+++") || text.starts_with("---") {
        Line::styled(text, t.bold())
    } else if text.starts_with('+') {
        Line::styled(text, t.added())
    } else if text.starts_with('-') {
        Line::styled(text, t.removed())
    } else if text.starts_with("@@") {
        Line::styled(text, t.accent())
    } else {
        Line::raw(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn colouring_keeps_the_text() {
        let t = Theme { color: true };
        for (lang, s) in [
            (Lang::Dockerfile, "FROM python:3.12-slim AS base"),
            (
                Lang::Dockerfile,
                "RUN --mount=type=cache,target=/root/.cache pip install \"a b\" && echo $HOME ${X}",
            ),
            (Lang::Dockerfile, "    # comment"),
            (Lang::Yaml, "  image: \"x\"  # c"),
            (Lang::Yaml, "    - driver: nvidia"),
            (Lang::Yaml, "port: 8000"),
            (Lang::Markdown, "# Title"),
            (Lang::Diff, "+added"),
        ] {
            assert_eq!(text(&line(lang, s, &t)), s);
        }
        let l = line(Lang::Dockerfile, "FROM x AS y", &t);
        assert_eq!(l.spans[0].style, t.keyword());
    }

    #[test]
    fn no_color_has_no_colours() {
        let t = Theme { color: false };
        let l = line(Lang::Yaml, "services: \"x\"", &t);
        assert!(l.spans.iter().all(|s| s.style.fg.is_none()));
    }
}
