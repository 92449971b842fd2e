//! The questions asked with inquire: a cursor to move, the answer redrawn
//! in place. For terminals that understand cursor movement; `TERM=dumb`
//! gets [`super::dumb`] instead. Esc goes back one question, Ctrl-C cancels.

use super::question::{Answer, Ask, Confirm, Multi, Select, Text};
use anyhow::Result;
use inquire::error::InquireError;
use inquire::list_option::ListOption;
use inquire::validator::Validation;

fn answer<T>(r: Result<T, InquireError>) -> Result<Answer<T>> {
    match r {
        Ok(v) => Ok(Answer::Value(v)),
        Err(InquireError::OperationCanceled) => Ok(Answer::Back),
        Err(InquireError::OperationInterrupted) => Ok(Answer::Cancel),
        Err(e) => Err(e.into()),
    }
}

/// inquire, in colour unless `NO_COLOR`.
pub struct Rich;

impl Rich {
    pub fn new(colour: bool) -> Rich {
        if !colour {
            inquire::set_global_render_config(inquire::ui::RenderConfig::empty());
        }
        Rich
    }
}

impl Ask for Rich {
    fn select(&mut self, q: &Select) -> Result<Answer<usize>> {
        let mut s = inquire::Select::new(q.prompt, q.options.clone())
            .with_starting_cursor(q.default)
            .with_page_size(12);
        if let Some(h) = q.help {
            s = s.with_help_message(h);
        }
        Ok(match answer(s.raw_prompt())? {
            Answer::Value(o) => Answer::Value(o.index),
            Answer::Back => Answer::Back,
            Answer::Cancel => Answer::Cancel,
            Answer::Stop(s) => Answer::Stop(s),
        })
    }

    fn multi(&mut self, q: &Multi) -> Result<Answer<Vec<usize>>> {
        let check = q.check;
        let r = inquire::MultiSelect::new(q.prompt, q.options.clone())
            .with_default(&q.defaults)
            .with_help_message("↑↓ move, Space toggles, Enter accepts, Esc goes back")
            .with_validator(move |sel: &[ListOption<&String>]| {
                let idx: Vec<usize> = sel.iter().map(|o| o.index).collect();
                Ok(match check(&idx) {
                    Ok(()) => Validation::Valid,
                    Err(e) => Validation::Invalid(e.into()),
                })
            })
            .raw_prompt();
        Ok(match answer(r)? {
            Answer::Value(sel) => {
                let mut idx: Vec<usize> = sel.iter().map(|o| o.index).collect();
                idx.sort_unstable();
                Answer::Value(idx)
            }
            Answer::Back => Answer::Back,
            Answer::Cancel => Answer::Cancel,
            Answer::Stop(s) => Answer::Stop(s),
        })
    }

    fn text(&mut self, q: &Text) -> Result<Answer<String>> {
        let check = q.check;
        let help = format!("{} Empty: {}.", q.help, q.placeholder);
        let r = inquire::Text::new(q.prompt)
            .with_initial_value(q.initial)
            .with_placeholder(q.placeholder)
            .with_help_message(&help)
            .with_validator(move |s: &str| {
                Ok(match check(s) {
                    Ok(()) => Validation::Valid,
                    Err(e) => Validation::Invalid(e.into()),
                })
            })
            .prompt();
        answer(r)
    }

    fn confirm(&mut self, q: &Confirm) -> Result<Answer<bool>> {
        answer(
            inquire::Confirm::new(q.prompt)
                .with_default(q.default)
                .prompt(),
        )
    }
}
