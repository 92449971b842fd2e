//! `mlcontain man`: the manual page, mlcontain(1), as roff on stdout
//! (clap_mangen), generated from the same command definitions as `--help`
//! and the shell completions. One page: the top-level command, then a
//! section for every subcommand (its synopsis, description and options).
//!
//! `mlcontain man > ~/.local/share/man/man1/mlcontain.1` installs it
//! (install.sh does); `mlcontain man | man -l -` reads it.

use anyhow::{Context, Result};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

/// roff's apostrophe definitions, which clap_mangen writes before every
/// fragment: written once, right after the title.
const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];

/// The whole page for `cmd` (the CLI's definition).
pub fn page(cmd: clap::Command) -> Result<String> {
    let mut cmd = cmd;
    cmd.build();
    let name = cmd.get_name().to_string();
    let man = Man::new(cmd.clone());
    let mut out: Vec<u8> = vec![];
    man.render_title(&mut out)
        .and_then(|()| man.render_name_section(&mut out))
        .and_then(|()| man.render_synopsis_section(&mut out))
        .and_then(|()| man.render_description_section(&mut out))
        .and_then(|()| man.render_options_section(&mut out))
        .context("rendering the manual page")?;
    out.extend(subcommand_list(&cmd, &name, "SH").to_roff().into_bytes());
    man.render_version_section(&mut out)
        .context("rendering the manual page")?;
    for sub in visible_subcommands(&cmd) {
        sections(&mut out, sub, &name)?;
    }
    let text = String::from_utf8(out).context("the manual page is not UTF-8")?;
    // The title first (`.TH`), then the definitions once, then the rest.
    let mut lines = text.lines().filter(|l| !PREAMBLE.contains(l));
    let mut page = String::new();
    if let Some(title) = lines.next() {
        page.push_str(title);
        page.push('\n');
    }
    for l in PREAMBLE.iter().copied().chain(lines) {
        page.push_str(l);
        page.push('\n');
    }
    Ok(page)
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// The subcommands of `cmd` by their full names (`mlcontain catalog show`),
/// each with its one-line description; their sections follow.
fn subcommand_list(cmd: &clap::Command, name: &str, heading: &str) -> Roff {
    let mut r = Roff::new();
    r.control(heading, ["SUBCOMMANDS"]);
    for s in visible_subcommands(cmd) {
        r.control("TP", []);
        r.text([bold(format!("{name} {}", s.get_name()))]);
        let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
        r.text([roman(about)]);
    }
    r
}

/// Append the section of `sub` (and its own subcommands'): its full name as
/// a section heading, clap_mangen's sections as subsections.
fn sections(out: &mut Vec<u8>, sub: &clap::Command, prefix: &str) -> Result<()> {
    let name = format!("{prefix} {}", sub.get_name());
    let mut c = sub.clone().bin_name(&name).display_name(&name);
    c.build();
    let man = Man::new(c.clone());
    let mut body: Vec<u8> = vec![];
    man.render_synopsis_section(&mut body)
        .and_then(|()| man.render_description_section(&mut body))
        .and_then(|()| man.render_options_section(&mut body))
        .context("rendering the manual page")?;
    let body = String::from_utf8(body).context("the manual page is not UTF-8")?;
    let mut heading = Roff::new();
    heading.control("SH", [name.to_uppercase().as_str()]);
    out.extend(heading.to_roff().into_bytes());
    for line in body.lines() {
        match line.strip_prefix(".SH ") {
            Some(title) => out.extend(format!(".SS {title}\n").into_bytes()),
            None => out.extend(format!("{line}\n").into_bytes()),
        }
    }
    if c.has_subcommands() {
        out.extend(subcommand_list(&c, &name, "SS").to_roff().into_bytes());
        for s in visible_subcommands(&c) {
            sections(out, s, &name)?;
        }
    }
    Ok(())
}
