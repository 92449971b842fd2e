//! Drawing: `impl Widget for &App`. Layout (at least 60×16):
//!
//! ```text
//! header: title, step n/7, detection state
//! steps (a column when wide, a bar when narrow) | form | preview (tabs)
//! why: the planner's explanations for the current question, messages
//! footer: the keys for the focused pane
//! ```

use super::app::{App, Hit, MsgKind, Overlay, Pane, ReviewRow, MIN_HEIGHT, MIN_WIDTH, SUMMARY_TAB};
use super::form::{self, Field, FieldKind, Step};
use super::highlight::{self, Theme};
use super::keymap;
use crate::render::FileKind;
use crate::write::FileStatus;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

/// The marks of disabled and warned options, in words (the option list
/// shows the ones it uses; the help overlay all of them).
pub const LEGEND: [&str; 3] = [
    "✗ can't run here: this GPU/driver cannot run it",
    "✗ unavailable: conflicts with another answer",
    "! won't run here: kept as chosen, with the reason",
];

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub use super::layout::{layout, preview_height, Areas};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = Theme { color: self.color };
        self.hits.borrow_mut().clear();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf, &t);
            return;
        }
        let a = layout(area, self.host_width());
        if self.zoom > 0 {
            self.header(a.header, buf, &t);
            self.preview(
                super::layout::preview_pane(area, self.zoom, self.host_width()),
                buf,
                &t,
            );
            self.footer(a.footer, buf, &t);
            self.overlays(area, buf, &t);
            return;
        }
        self.header(a.header, buf, &t);
        for (r, p) in [
            (a.steps, Pane::Steps),
            (a.form, Pane::Form),
            (a.preview, Pane::Preview),
            (a.why, Pane::Why),
        ] {
            self.hit(r, Hit::Pane(p));
        }
        if a.wide {
            self.steps_column(a.steps, buf, &t);
        } else {
            self.steps_bar(a.steps, buf, &t);
        }
        if let Some(h) = a.host {
            self.host_panel(h, buf, &t);
        }
        self.form(a.form, buf, &t);
        self.preview(a.preview, buf, &t);
        self.why_box(a.why, buf, &t);
        self.footer(a.footer, buf, &t);
        self.overlays(area, buf, &t);
    }
}

fn too_small(area: Rect, buf: &mut Buffer, t: &Theme) {
    let text = vec![
        Line::styled("Terminal too small", t.error()),
        Line::raw(format!(
            "{}×{}; the wizard needs {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window, or quit (q)"),
        Line::raw("and run `mlcontain --plain`."),
    ];
    let h = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    Paragraph::new(text)
        .centered()
        .wrap(Wrap { trim: true })
        .render(Rect::new(area.x, y, area.width, h), buf);
}

fn block<'a>(title: impl Into<Line<'a>>, focused: bool, t: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(t.border(focused))
        .title(title)
}

impl App {
    /// Record that a click in `r` (clipped to the screen) means `h`.
    fn hit(&self, r: Rect, h: Hit) {
        if r.width > 0 && r.height > 0 {
            self.hits.borrow_mut().push((r, h));
        }
    }

    fn spinner(&self) -> &'static str {
        SPINNER[(self.tick as usize) % SPINNER.len()]
    }

    fn header(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let mut spans = vec![
            Span::styled(" mlcontain ", t.accent()),
            Span::styled(
                format!(
                    " step {}/{}: {}",
                    self.step.index() + 1,
                    Step::ALL.len(),
                    self.step.title()
                ),
                t.bold(),
            ),
        ];
        if self.pending.any() {
            spans.push(Span::styled(
                format!("   {} detecting…", self.spinner()),
                t.warn(),
            ));
        }
        if self.dirty() {
            spans.push(Span::styled("   (unsaved choices)", t.dim()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
        let hint = Line::styled("? help ", t.dim());
        let w = hint.width() as u16;
        if area.width > w + 40 {
            hint.render(Rect::new(area.right() - w, area.y, w, 1), buf);
        }
    }

    fn step_mark(&self, s: Step) -> &'static str {
        if s == self.step {
            "▸"
        } else if s < self.step {
            "✓"
        } else {
            "·"
        }
    }

    fn steps_column(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let focused = self.focus == Pane::Steps;
        let lines: Vec<Line> = Step::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut style = if *s == self.step {
                    t.accent()
                } else {
                    t.plain()
                };
                if focused && i == self.step_cursor {
                    style = t.selected();
                }
                Line::styled(
                    format!(" {} {}. {}", self.step_mark(*s), i + 1, s.title()),
                    style,
                )
            })
            .collect();
        Paragraph::new(lines)
            .block(block(" Steps ", focused, t))
            .render(area, buf);
        for (i, s) in Step::ALL.iter().enumerate() {
            let y = area.y + 1 + i as u16;
            if y + 1 < area.bottom() {
                self.hit(
                    Rect::new(area.x + 1, y, area.width.saturating_sub(2), 1),
                    Hit::Step(*s),
                );
            }
        }
    }

    fn steps_bar(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let focused = self.focus == Pane::Steps;
        let mut spans = vec![];
        let mut x = area.x;
        for (i, s) in Step::ALL.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" › ", t.dim()));
                x = x.saturating_add(3);
            }
            let mut style = if *s == self.step {
                t.accent()
            } else if *s < self.step {
                t.plain()
            } else {
                t.dim()
            };
            if focused && i == self.step_cursor {
                style = t.selected();
            }
            let title = if area.width < 100 {
                s.title().split(' ').next().unwrap_or("")
            } else {
                s.title()
            };
            let label = format!("{} {}", self.step_mark(*s), title);
            let w = label.chars().count() as u16;
            let right = x.saturating_add(w).min(area.right());
            if x < right {
                self.hit(Rect::new(x, area.y, right - x, 1), Hit::Step(*s));
            }
            x = x.saturating_add(w);
            spans.push(Span::styled(label, style));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }

    /// Host facts as lines, with spinners for what is still being detected.
    fn host_lines(&self, t: &Theme, long: bool) -> Vec<Line<'static>> {
        let f = &self.facts;
        let mut out = vec![];
        let sp = self.spinner();
        if self.pending.gpus {
            out.push(Line::styled(format!("{sp} GPUs: detecting…"), t.warn()));
        } else if f.gpus.is_empty() {
            out.push(Line::from(vec![
                Span::styled("GPUs: ", t.bold()),
                Span::raw("none"),
            ]));
            if long {
                if let Some(e) = &f.nvml.error {
                    out.push(Line::styled(format!("  {e}"), t.dim()));
                }
            }
        } else {
            out.push(Line::styled("GPUs:", t.bold()));
            for g in &f.gpus {
                let mem = g
                    .memory_mib
                    .filter(|_| long)
                    .map(|m| format!(", {} GiB", (m + 512) / 1024))
                    .unwrap_or_default();
                out.push(Line::raw(format!("  {}. {}{mem}", g.index, g.label())));
            }
            if let Some(d) = &f.driver {
                out.push(Line::from(vec![
                    Span::styled("Driver: ", t.bold()),
                    Span::raw(format!(
                        "{}{}",
                        d.version,
                        d.cuda_max
                            .as_ref()
                            .map(|c| format!(" (CUDA {c})"))
                            .unwrap_or_default()
                    )),
                ]));
            }
        }
        if self.pending.tools {
            out.push(Line::styled(format!("{sp} Docker: detecting…"), t.warn()));
        } else {
            out.push(Line::from(vec![
                Span::styled("Docker: ", t.bold()),
                Span::raw(self.docker_text()),
            ]));
            // Short enough for the narrowest panel, and it decides whether
            // the GPU services start: always shown.
            match f.tools.nvidia_runtime {
                Some(true) => out.push(Line::raw("  NVIDIA runtime registered")),
                Some(false) => out.push(Line::styled(
                    if long {
                        "  NVIDIA runtime not registered (see `mlcontain doctor`)"
                    } else {
                        "  NVIDIA runtime missing (doctor)"
                    },
                    t.warn(),
                )),
                None => {}
            }
        }
        for (note, blocks) in &self.dir_notes {
            let style = if *blocks { t.error() } else { t.warn() };
            out.push(Line::styled(format!("Folder: {note}"), style));
        }
        if self.pending.project {
            out.push(Line::styled(format!("{sp} Project: scanning…"), t.warn()));
        } else {
            let p = &f.project;
            let mut what: Vec<String> = vec![];
            what.extend(p.requirements.iter().cloned());
            if let Some(py) = &p.pyproject {
                what.push(py.path.clone());
            }
            if let Some(e) = &p.environment_yml {
                what.push(e.clone());
            }
            if what.is_empty() {
                what.push("no manifest (fresh repository)".into());
            }
            out.push(Line::from(vec![
                Span::styled("Project: ", t.bold()),
                Span::raw(what.join(", ")),
            ]));
            if long {
                for pin in &p.pins {
                    out.push(Line::raw(format!("  pins {} ({})", pin.spec, pin.source)));
                }
                if let Some(h) = &p.python_hint {
                    out.push(Line::raw(format!("  Python {h} requested")));
                }
                if let Some(tr) = &p.entry_points.training {
                    out.push(Line::raw(format!("  training: {tr}")));
                }
                if let Some(inf) = &p.entry_points.inference {
                    out.push(Line::raw(format!("  inference: {inf}")));
                }
                if p.existing.mlcontain_yaml {
                    out.push(Line::raw("  mlcontain.yaml: answers loaded"));
                }
                for w in &p.warnings {
                    out.push(Line::styled(format!("  warning: {w}"), t.warn()));
                }
            }
        }
        out
    }

    /// The width the host panel's longest line needs (for the layout).
    pub fn host_width(&self) -> u16 {
        let t = Theme { color: false };
        self.host_lines(&t, false)
            .iter()
            .map(|l| l.width())
            .max()
            .unwrap_or(0)
            .min(u16::MAX as usize) as u16
    }

    fn host_panel(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        Paragraph::new(self.host_lines(t, false))
            .wrap(Wrap { trim: false })
            .block(block(" Host ", false, t))
            .render(area, buf);
    }

    /// The summary value of a field (from the plan).
    fn field_value(&self, field: Field) -> String {
        let p = self.plan_ok();
        match field.kind() {
            FieldKind::Text => {
                let v = form::text_of(field, &self.choices);
                if v.is_empty() {
                    form::placeholder(field, p)
                } else {
                    v
                }
            }
            _ => match (field, p) {
                (Field::Framework, Some(p)) => p.framework_name.clone(),
                (Field::FrameworkVersion, Some(p)) => p
                    .framework_version
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "—".into()),
                (Field::Cuda, Some(p)) => p
                    .cuda
                    .as_ref()
                    .map(|c| format!("CUDA {}", c.version))
                    .unwrap_or_else(|| "CPU".into()),
                (Field::Python, Some(p)) => format!("Python {}", p.python),
                (Field::PackageManager, Some(p)) => p.package_manager.to_string(),
                (Field::Stages, Some(p)) => p
                    .stages
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                (Field::Syntax, Some(p)) => if p.syntax { "yes" } else { "no" }.into(),
                (Field::Deploy, Some(p)) => p
                    .deploy
                    .targets
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                (Field::Training, Some(p)) => entry_value(
                    &p.code.training_entry,
                    p.has(crate::choices::Stage::Training),
                    "train.py",
                ),
                (Field::Inference, Some(p)) => entry_value(
                    &p.code.inference_entry,
                    p.has(crate::choices::Stage::Inference),
                    "serve.py",
                ),
                (Field::K8sFlavour, Some(p)) => {
                    let mut f = vec!["Indexed Job".to_string()];
                    f.extend(
                        form::flavours_of(Field::K8sFlavour, &p.deploy.k8s_flavours)
                            .iter()
                            .map(|k| format!("{k:?}").to_lowercase()),
                    );
                    f.join(" + ")
                }
                (Field::K8sServing, Some(p)) => {
                    if p.deploy
                        .k8s_flavours
                        .contains(&crate::choices::K8sFlavour::Kserve)
                    {
                        "Deployment + KServe InferenceService".into()
                    } else {
                        "Deployment + Service".into()
                    }
                }
                (Field::KeepDockerfile, Some(p)) => match p.code.kept_dockerfile {
                    Some(_) => "the project's (kept)".into(),
                    None => "generated".into(),
                },
                (Field::AllowIncompatible, _) => if self.choices.allow_incompatible {
                    "yes"
                } else {
                    "no"
                }
                .into(),
                _ => "—".into(),
            },
        }
    }

    fn form(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let focused = self.focus == Pane::Form;
        let title = format!(" {}. {} ", self.step.index() + 1, self.step.title());
        let b = block(title, focused, t);
        let inner = b.inner(area);
        b.render(area, buf);
        let cur = self.current_field();
        let mut lines: Vec<Line> = vec![];
        let mut list_at: Option<usize> = None;
        let fields = self.fields_of(self.step);
        let fields = fields.as_slice();
        for f in fields {
            if *f == cur {
                if fields.len() > 1 {
                    lines.push(Line::styled(format!("{}:", f.label()), t.accent()));
                }
                lines.push(Line::styled(f.help().to_string(), t.dim()));
                list_at = Some(lines.len());
                if f.kind() == FieldKind::Text {
                    self.text_input(&mut lines, t, focused);
                }
                if f.kind() == FieldKind::Info {
                    let host = self.host_lines(t, true);
                    let skip = (self.host_scroll as usize).min(host.len().saturating_sub(1));
                    if skip > 0 {
                        lines.push(Line::styled(format!("↑ {skip} more"), t.dim()));
                    }
                    lines.extend(host.into_iter().skip(skip));
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        format!(
                            "Enter: choose the framework. {}: straight to Review with the defaults.",
                            keymap::keys_of(keymap::Action::Review)
                        ),
                        t.accent(),
                    ));
                }
            } else if fields.len() > 1 {
                lines.push(Line::from(vec![
                    Span::styled(format!("{}: ", f.label()), t.bold()),
                    Span::raw(self.field_value(*f)),
                ]));
            }
        }
        // The option list of the current field goes where it belongs, scrolled
        // to keep the highlight visible.
        let list = match cur.kind() {
            FieldKind::Select | FieldKind::Multi => self.option_lines(t, focused),
            FieldKind::Review => self.review_lines(t, focused, inner.width),
            _ => (vec![], 0),
        };
        let (opts, sel) = list;
        // The reason a highlighted option is unavailable, under the list.
        let mut reason: Vec<Line> = vec![];
        for note in form::edit_notes(cur, &self.facts, &self.choices, self.plan_ok()) {
            reason.push(Line::styled(note, t.accent()));
        }
        if cur == Field::Framework && form::ambiguous_framework(&self.facts).is_some() {
            reason.push(Line::styled(
                "Two frameworks, used about equally (each says why): the first is preselected; choose the main one.",
                t.warn(),
            ));
        }
        if let Some(o) = self.opts.get(self.cursor) {
            if let Some(why) = form::entry_reason(cur, &self.facts, &o.value) {
                reason.push(Line::styled(format!("why: {why}"), t.dim()));
            }
            if matches!(cur.kind(), FieldKind::Select) {
                if let Some(why) = &o.disabled {
                    reason.push(Line::styled(format!("✗ {why}"), t.error()));
                } else if let (Some(w), Some(_)) = (&o.warning, self.plan_ok()) {
                    // (Without a plan the Why pane already says why.)
                    reason.push(Line::styled(format!("! will not run here: {w}"), t.warn()));
                }
            }
        }
        // Rows a line takes once wrapped (word wrapping may need one more).
        let w = inner.width.max(1) as usize;
        let rows = |ls: &[Line]| -> usize {
            ls.iter()
                .map(|l| {
                    let n = l.width();
                    if n <= w {
                        1
                    } else {
                        n.div_ceil(w) + 1
                    }
                })
                .sum()
        };
        if let Some(at) = list_at {
            let tail: Vec<Line> = lines.split_off(at);
            let fixed = rows(&lines) + rows(&tail) + rows(&reason);
            // What the marks in this list mean (the ones it shows), when
            // the whole list still fits with it (else in the help, `?`).
            if let Some(l) = self.legend().map(|l| Line::styled(l, t.dim())) {
                let need = rows(std::slice::from_ref(&l));
                if fixed + need + opts.len() <= inner.height as usize {
                    reason.push(l);
                }
            }
            let fixed = rows(&lines) + rows(&tail) + rows(&reason);
            let room = (inner.height as usize).saturating_sub(fixed).max(3);
            let start = if opts.len() <= room {
                0
            } else {
                // Keep the highlight visible, away from the "more" markers.
                sel.saturating_sub(room / 2).min(opts.len() - room)
            };
            let end = (start + room).min(opts.len());
            // The list row each line shows (for clicks).
            let mut shown: Vec<Option<usize>> = vec![];
            if start > 0 {
                lines.push(Line::styled(format!("  ↑ {} more", start + 1), t.dim()));
                shown.push(None);
                lines.extend(opts[start + 1..end].iter().cloned());
                shown.extend((start + 1..end).map(Some));
            } else {
                lines.extend(opts[start..end].iter().cloned());
                shown.extend((start..end).map(Some));
            }
            if end < opts.len() {
                lines.pop();
                shown.pop();
                lines.push(Line::styled(
                    format!("  ↓ {} more", opts.len() - end + 1),
                    t.dim(),
                ));
                shown.push(None);
            }
            self.list_hits(inner, &lines[..at], &lines[at..], &shown);
            lines.extend(reason);
            lines.extend(tail);
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }

    /// Record the rows the list lines take on screen (after the lines
    /// above them, each wrapped as the paragraph wraps it).
    fn list_hits(&self, inner: Rect, above: &[Line], list: &[Line], shown: &[Option<usize>]) {
        let rows = |l: &Line| -> u16 {
            Paragraph::new(l.clone())
                .wrap(Wrap { trim: false })
                .line_count(inner.width.max(1))
                .min(u16::MAX as usize) as u16
        };
        let mut y = inner.y.saturating_add(above.iter().map(rows).sum::<u16>());
        for (l, row) in list.iter().zip(shown) {
            let h = rows(l);
            if y >= inner.bottom() {
                break;
            }
            if let Some(i) = row {
                let h = h.min(inner.bottom() - y);
                self.hit(Rect::new(inner.x, y, inner.width, h), Hit::Row(*i));
            }
            y = y.saturating_add(h);
        }
    }

    /// The legend of the disabled/warning marks the option list shows.
    pub fn legend(&self) -> Option<String> {
        if self.current_field().kind() != FieldKind::Select {
            return None;
        }
        let mut parts = vec![];
        if self.opts.iter().any(|o| o.disabled.is_some() && o.host) {
            parts.push(LEGEND[0]);
        }
        if self.opts.iter().any(|o| o.disabled.is_some() && !o.host) {
            parts.push(LEGEND[1]);
        }
        if self
            .opts
            .iter()
            .any(|o| o.disabled.is_none() && o.warning.is_some())
        {
            parts.push(LEGEND[2]);
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn text_input(&self, lines: &mut Vec<Line<'static>>, t: &Theme, focused: bool) {
        let cur = self.current_field();
        let mut spans = vec![Span::styled(format!("{}: ", cur.label()), t.bold())];
        if self.input.is_empty() {
            spans.push(Span::styled(
                format!("{} (default)", form::placeholder(cur, self.plan_ok())),
                t.dim(),
            ));
        } else {
            spans.push(Span::styled(self.input.clone(), t.accent()));
        }
        if focused {
            spans.push(Span::styled("▏", t.accent()));
        }
        lines.push(Line::from(spans));
        match &self.input_error {
            Some(e) => lines.push(Line::styled(format!("✗ {e}"), t.error())),
            None => lines.push(Line::styled("Enter accepts; empty = default", t.dim())),
        }
    }

    fn option_lines(&self, t: &Theme, focused: bool) -> (Vec<Line<'static>>, usize) {
        let cur = self.current_field();
        let p = self.plan_ok();
        let planned = p.and_then(|p| form::planned(cur, p));
        let lines = self
            .opts
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let mark = if cur.kind() == FieldKind::Multi {
                    if form::is_on(&self.choices, p, &o.value) {
                        "[x]"
                    } else {
                        "[ ]"
                    }
                } else if o.disabled.is_some() {
                    " ✗ "
                } else if Some(&o.value) == planned.as_ref()
                    || (cur == Field::AllowIncompatible
                        && o.value == form::Value::Bool(self.choices.allow_incompatible))
                {
                    " ● "
                } else if o.warning.is_some() {
                    " ! "
                } else {
                    " ○ "
                };
                let suffix = if o.disabled.is_some() && o.host {
                    " (can't run here)"
                } else if o.disabled.is_some() {
                    " (unavailable)"
                } else if o.warning.is_some() {
                    " (won't run here)"
                } else {
                    ""
                };
                let mut style = if o.disabled.is_some() {
                    t.dim()
                } else if o.warning.is_some() {
                    t.warn()
                } else {
                    t.plain()
                };
                if i == self.cursor && focused {
                    style = style.patch(t.selected());
                } else if i == self.cursor {
                    style = style.patch(t.bold());
                }
                let pointer = if i == self.cursor { "›" } else { " " };
                Line::styled(format!("{pointer}{mark} {}{suffix}", o.label), style)
            })
            .collect();
        (lines, self.cursor)
    }

    fn review_lines(&self, t: &Theme, focused: bool, width: u16) -> (Vec<Line<'static>>, usize) {
        // The status column as wide as its longest entry (a changed file
        // can read "changed: REPLACE"); one row per file: a long path keeps
        // its end (`…/gpu/training-job.yaml`).
        let sw = self
            .files
            .iter()
            .map(|f| match (f.file.kind, f.status) {
                (FileKind::Scaffold, FileStatus::New) => 14,
                (FileKind::Scaffold, _) => 12,
                (_, FileStatus::New) => 3,
                (_, FileStatus::Changed) => 16,
                (_, FileStatus::Unchanged) => 9,
            })
            .max()
            .unwrap_or(3);
        let room = (width as usize).saturating_sub(sw + 3).max(8);
        let rows = self.review_rows();
        let mut out = vec![];
        for (i, r) in rows.iter().enumerate() {
            let sel = i == self.cursor;
            let pointer = if sel { "›" } else { " " };
            let line = match r {
                ReviewRow::File(fi) => {
                    let f = &self.files[*fi];
                    let on = self.replace.get(&f.file.path).copied().unwrap_or(false);
                    let (status, st_style) = match (f.file.kind, f.status) {
                        (FileKind::Scaffold, FileStatus::New) => ("scaffold (new)", t.ok()),
                        (FileKind::Scaffold, _) => ("exists, kept", t.dim()),
                        (_, FileStatus::New) => ("new", t.ok()),
                        (_, FileStatus::Changed) if on => ("changed: REPLACE", t.error()),
                        (_, FileStatus::Changed) => ("changed: keep", t.warn()),
                        (_, FileStatus::Unchanged) => ("unchanged", t.dim()),
                    };
                    Line::from(vec![
                        Span::raw(format!("{pointer} ")),
                        Span::styled(format!("{status:<sw$}"), st_style),
                        Span::raw(format!(" {}", elide_front(&f.file.path, room))),
                    ])
                }
                ReviewRow::Write => {
                    Line::styled(format!("{pointer} ▶ Write the files (w)"), t.accent())
                }
                ReviewRow::WriteBuild => Line::styled(
                    format!("{pointer} ▶ Write and build the images (b)"),
                    t.accent(),
                ),
            };
            let line = if sel && focused {
                line.patch_style(t.selected())
            } else {
                line
            };
            out.push(line);
        }
        let kept = self
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Changed && f.file.kind == FileKind::Generated)
            .filter(|f| !self.replace.get(&f.file.path).copied().unwrap_or(false))
            .count();
        if kept > 0 {
            out.push(Line::styled(
                format!(
                    "{kept} changed {} kept; Space on one to replace it.",
                    if kept == 1 { "file" } else { "files" }
                ),
                t.warn(),
            ));
        }
        if let Some(p) = self.plan_ok() {
            if !p.warnings.is_empty() {
                out.push(Line::styled(
                    format!(
                        "{} {}: in the summary (the preview, on an action row).",
                        p.warnings.len(),
                        if p.warnings.len() == 1 {
                            "warning"
                        } else {
                            "warnings"
                        }
                    ),
                    t.warn(),
                ));
            }
        }
        (out, self.cursor)
    }

    /// The preview's tab labels: short names when narrow, a mark for new
    /// (+) and changed (~) files.
    fn tab_labels(&self, short: bool) -> Vec<String> {
        self.tab_names()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if i == 0 {
                    return SUMMARY_TAB.to_string();
                }
                let f = &self.files[i - 1];
                let mark = match f.status {
                    FileStatus::New => "+",
                    FileStatus::Changed => "~",
                    FileStatus::Unchanged => "",
                };
                let shown = match (short, name.as_str()) {
                    (true, "compose.yaml") => "compose",
                    (true, ".dockerignore") => "ignore",
                    (true, "README.Docker.md") => "README",
                    (true, "mlcontain.yaml") => "config",
                    (true, n) => n.rsplit('/').next().unwrap_or(n),
                    (false, n) => n,
                };
                format!("{shown}{mark}")
            })
            .collect()
    }

    /// The tab bar: as many tabs around the current one as fit, with ‹ ›
    /// where some are cut off.
    fn tab_bar(&self, at: Rect, t: &Theme) -> Line<'static> {
        let width = at.width;
        let labels = self.tab_labels(width < 90);
        let w = |i: usize| labels[i].chars().count() + 2;
        let room = width as usize;
        let (mut lo, mut hi) = (self.tab, self.tab + 1);
        let mut used = w(self.tab);
        loop {
            let mut grew = false;
            if hi < labels.len() && used + w(hi) + 2 <= room {
                used += w(hi);
                hi += 1;
                grew = true;
            }
            if lo > 0 && used + w(lo - 1) + 2 <= room {
                lo -= 1;
                used += w(lo);
                grew = true;
            }
            if !grew {
                break;
            }
        }
        let mut spans = vec![];
        spans.push(Span::styled(if lo > 0 { "‹" } else { " " }, t.dim()));
        let mut x = at.x + 1;
        for (i, l) in labels.iter().enumerate().take(hi).skip(lo) {
            let w = l.chars().count() as u16 + 2;
            let right = x.saturating_add(w).min(at.right());
            if x < right {
                self.hit(Rect::new(x, at.y, right - x, 1), Hit::Tab(i));
            }
            x = x.saturating_add(w);
            let style = if i == self.tab {
                t.selected().patch(t.bold())
            } else {
                t.dim()
            };
            spans.push(Span::styled(format!(" {l} "), style));
        }
        if hi < labels.len() {
            spans.push(Span::styled("›", t.dim()));
        }
        Line::from(spans)
    }

    fn preview(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let focused = self.focus == Pane::Preview || self.zoom > 0;
        let name = self.tab_name();
        let status = self
            .files
            .iter()
            .find(|f| f.file.path == name)
            .map(|f| format!(" ({})", f.status.as_str()))
            .unwrap_or_default();
        let what = if self.tab == 0 {
            " Summary: "
        } else if self.diff {
            " Diff: "
        } else {
            " Preview: "
        };
        let zoom = match self.zoom {
            1 => " [zoom, z: wrap]",
            2 => " [zoom, wrapped, z: back]",
            _ => "",
        };
        let title = Line::from(vec![
            Span::raw(what),
            Span::styled(
                if self.tab == 0 {
                    "choices and warnings".to_string()
                } else {
                    name.clone()
                },
                t.bold(),
            ),
            Span::raw(format!("{status}{zoom} ")),
        ]);
        let b = block(title, focused, t);
        let inner = b.inner(area);
        b.render(area, buf);
        if inner.height < 2 {
            return;
        }
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        self.tab_bar(tabs, t).render(tabs, buf);
        let body = Rect {
            y: body.y + 1,
            height: body.height.saturating_sub(1),
            ..body
        };
        if let (Err(e), false) = (&self.plan, self.tab == 0) {
            Paragraph::new(vec![
                Line::styled(
                    "No files: the current choices cannot be planned.",
                    t.error(),
                ),
                Line::raw(""),
                Line::raw(e.clone()),
            ])
            .wrap(Wrap { trim: false })
            .render(body, buf);
            return;
        }
        let text = self.preview_text();
        let lang = if self.tab == 0 {
            highlight::lang_for("summary.txt", false)
        } else {
            highlight::lang_for(&name, self.diff)
        };
        let skip = self.scroll_of(self.tab) as usize;
        let lines: Vec<Line> = text
            .lines()
            .skip(skip)
            .take(body.height as usize)
            .map(|l| highlight::line(lang, l, t))
            .collect();
        Paragraph::new(Text::from(lines)).render(body, buf);
        let total = text.lines().count();
        if total > body.height as usize {
            let info = format!(
                " {}-{}/{} ",
                skip + 1,
                (skip + body.height as usize).min(total),
                total
            );
            let w = info.len() as u16;
            if area.width > w + 4 {
                Span::styled(info, t.dim()).render(
                    Rect::new(area.right() - w - 2, area.bottom() - 1, w, 1),
                    buf,
                );
            }
        }
    }

    fn why_box(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let mut lines: Vec<Line> = vec![];
        if let Some((m, kind)) = &self.message {
            lines.push(Line::styled(
                m.clone(),
                if *kind == MsgKind::Error {
                    t.error()
                } else {
                    t.ok()
                },
            ));
        }
        if let Err(e) = &self.plan {
            lines.push(Line::styled(e.clone(), t.error()));
        }
        for w in self.why() {
            let style = if w.starts_with("warning:") {
                t.warn()
            } else {
                t.plain()
            };
            lines.push(Line::styled(w, style));
        }
        let focused = self.focus == Pane::Why;
        let inner_w = area.width.saturating_sub(2).max(1) as usize;
        let drawn: usize = lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner_w))
            .sum();
        let room = area.height.saturating_sub(2) as usize;
        let scroll = self.why_scroll.min(drawn.saturating_sub(room) as u16);
        let more = if drawn > room {
            format!(
                " Why ({}-{}/{}; Tab here, ↑↓ scroll) ",
                scroll as usize + 1,
                (scroll as usize + room).min(drawn),
                drawn
            )
        } else {
            " Why ".to_string()
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block(more, focused, t))
            .render(area, buf);
    }

    /// The keys that apply here, from the keymap, as many as fit (help and
    /// quit always).
    fn footer(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let keys = keymap::footer(self.key_context());
        let width = |k: &str, w: &str| k.chars().count() + w.chars().count() + 3;
        let always = |w: &str| w == "help" || w == "quit";
        let tail: usize = keys
            .iter()
            .filter(|(_, w)| always(w))
            .map(|(k, w)| width(k, w))
            .sum();
        let mut used = tail;
        let mut spans = vec![];
        for (k, what) in &keys {
            let always = always(what);
            if !always {
                if used + width(k, what) > area.width as usize {
                    continue;
                }
                used += width(k, what);
            }
            spans.push(Span::styled(format!(" {k}"), t.accent()));
            spans.push(Span::raw(format!(" {what} ")));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }

    fn overlays(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        match self.overlay {
            Some(Overlay::Help) => {
                let lines: Vec<Line> = keymap::help()
                    .into_iter()
                    .map(|(k, what)| {
                        Line::from(vec![
                            Span::styled(format!("{k:<18}"), t.accent()),
                            Span::raw(what),
                        ])
                    })
                    .chain(std::iter::once(Line::styled(
                        "In a text field, letters are typed into it.",
                        t.dim(),
                    )))
                    .chain(std::iter::once(Line::styled(
                        "Marks in option lists:",
                        t.bold(),
                    )))
                    .chain(
                        std::iter::once("● the plan's answer  ○ another choice".to_string())
                            .chain(LEGEND.iter().map(|l| l.to_string()))
                            .map(|l| Line::raw(format!("  {l}"))),
                    )
                    .collect();
                scrolled_overlay(
                    area,
                    buf,
                    t,
                    " Keys (↑↓ scroll, any key closes) ",
                    lines,
                    self.overlay_scroll,
                    96,
                );
            }
            Some(Overlay::Host) => {
                let lines = self.host_lines(t, true);
                scrolled_overlay(
                    area,
                    buf,
                    t,
                    " Host and project (any key closes) ",
                    lines,
                    self.overlay_scroll,
                    90,
                );
            }
            None => {}
        }
        if self.confirm_quit {
            confirm_overlay(area, buf, t);
        }
    }
}

/// A box over the screen, as large as needed up to `max_w` and the screen,
/// scrolled by `scroll` lines (wrapped lines counted as drawn).
fn scrolled_overlay(
    area: Rect,
    buf: &mut Buffer,
    t: &Theme,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: u16,
    max_w: u16,
) {
    let want_w = lines.iter().map(|l| l.width() as u16).max().unwrap_or(10) + 2;
    let w = want_w
        .max(title.chars().count() as u16 + 4)
        .min(max_w)
        .min(area.width);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let drawn: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let h = (drawn as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    Clear.render(r, buf);
    let room = h.saturating_sub(2) as usize;
    let scroll = scroll.min(drawn.saturating_sub(room) as u16);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(block(title.to_string(), true, t))
        .style(Style::new())
        .render(r, buf);
}

/// What an entry point field shows when it is not the current one.
fn entry_value(entry: &Option<String>, has_stage: bool, scaffold: &str) -> String {
    match (entry, has_stage) {
        (Some(f), _) => f.clone(),
        (None, true) => format!("{scaffold} (mlcontain's scaffold)"),
        (None, false) => "none".into(),
    }
}

/// A path cut to `max` characters from the front, marked with `…`: whole
/// leading folders first (`…/gpu/training-job.yaml`), then characters.
fn elide_front(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let mut rest = text;
    while let Some((_, tail)) = rest.split_once('/') {
        rest = tail;
        if rest.chars().count() + 2 <= max {
            return format!("…/{rest}");
        }
    }
    let keep: String = text.chars().skip(n - max.saturating_sub(1)).collect();
    format!("…{keep}")
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn confirm_overlay(area: Rect, buf: &mut Buffer, t: &Theme) {
    let r = centered(area, 46, 5);
    Clear.render(r, buf);
    Paragraph::new(vec![
        Line::raw("You changed some choices."),
        Line::from(vec![
            Span::raw("Quit without writing? "),
            Span::styled("y", t.accent()),
            Span::raw("es / "),
            Span::styled("n", t.accent()),
            Span::raw("o"),
        ]),
    ])
    .centered()
    .block(block(" Quit? ", true, t))
    .render(r, buf);
}
