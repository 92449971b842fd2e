//! The questions the line-by-line wizard asks, independent of how they are
//! asked: [`Ask`] is implemented by the cursor-driven prompts (inquire, on a
//! capable terminal: [`super::rich`]) and by a plain line reader (`TERM=dumb`,
//! no `TERM`, output not a terminal: [`super::dumb`]), so the wizard in
//! `prompt.rs` only chooses the backend.

use crate::term::Stop;
use anyhow::Result;

/// How a question was answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer<T> {
    Value(T),
    /// Back one question (Esc; `<` in the line reader).
    Back,
    /// Cancel the wizard, writing nothing (Ctrl-C in the prompts; end of input).
    Cancel,
    /// The terminal went away.
    Stop(Stop),
}

/// Pick one of `options`.
pub struct Select<'a> {
    pub prompt: &'a str,
    pub options: Vec<String>,
    /// The option Enter accepts.
    pub default: usize,
    /// One line of help (None: the backend's own).
    pub help: Option<&'a str>,
}

/// Pick any of `options` (validated as a set).
pub struct Multi<'a> {
    pub prompt: &'a str,
    pub options: Vec<String>,
    /// The options on at first (Enter accepts them).
    pub defaults: Vec<usize>,
    /// `Err`: the sentence shown before asking again.
    pub check: fn(&[usize]) -> Result<(), String>,
}

/// Type a value.
pub struct Text<'a> {
    pub prompt: &'a str,
    /// The current answer (Enter keeps it); empty when the default applies.
    pub initial: &'a str,
    /// What an empty answer means.
    pub placeholder: &'a str,
    pub help: &'a str,
    /// `Err`: the sentence shown before asking again.
    pub check: &'a dyn Fn(&str) -> Result<(), String>,
}

/// Yes or no.
pub struct Confirm<'a> {
    pub prompt: &'a str,
    pub default: bool,
}

/// A way of asking questions on a terminal.
pub trait Ask {
    /// The index of the chosen option.
    fn select(&mut self, q: &Select) -> Result<Answer<usize>>;
    /// The indices of the chosen options, ascending.
    fn multi(&mut self, q: &Multi) -> Result<Answer<Vec<usize>>>;
    /// The text typed (valid by `q.check`).
    fn text(&mut self, q: &Text) -> Result<Answer<String>>;
    fn confirm(&mut self, q: &Confirm) -> Result<Answer<bool>>;
}
