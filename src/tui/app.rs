//! The wizard's state machine. Pure: events in, state and an outcome out. No
//! terminal, no threads, no file I/O (the files on disk are handed in).

use super::form::{self, Field, FieldKind, Opt, Step, Value};
use super::keymap::{self, Action, Context};
use crate::choices::Choices;
use crate::detect::DetectEvent;
use crate::facts::{DaemonState, Facts};
use crate::plan::{plan, Plan};
use crate::render::{
    render, FileKind, GeneratedFile, COMPOSE, CONFIG, DOCKERFILE, DOCKERIGNORE, README,
};
use crate::write::{status_of, FileStatus};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The generated files (read from disk to compare); the preview has a tab
/// for the choice summary and one for every file of the plan.
pub const PREVIEW_FILES: [&str; 5] = [DOCKERFILE, COMPOSE, DOCKERIGNORE, README, CONFIG];

/// The preview's first tab: the choices and every warning.
pub const SUMMARY_TAB: &str = "summary";

/// Below this the UI says the terminal is too small instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Everything the event loop feeds the app.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a handful of detection events per run
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Detect(DetectEvent),
    /// Animation tick (spinners).
    Tick,
}

/// How a wizard run (full-screen or line by line) ended: what to write
/// with which facts and answers, or stopped. The caller writes and builds.
#[allow(clippy::large_enum_variant)] // made once per run
pub enum Ended {
    Done(Outcome, Facts, Choices),
    /// A signal, or the terminal went away: nothing is written.
    Stopped(crate::term::Stop),
}

/// How the wizard ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Cancelled,
    /// Write the files; `replace` lists the changed files the user confirmed.
    Write {
        replace: Vec<String>,
    },
    /// Write, then build the images.
    WriteAndBuild {
        replace: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Form,
    Preview,
    /// The explanations and warnings (scrollable).
    Why,
}

/// A box drawn over the wizard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// The host and project facts (reachable at every width).
    Host,
}

/// Which detection parts are still running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    pub gpus: bool,
    pub tools: bool,
    pub project: bool,
}

impl Pending {
    pub fn all() -> Pending {
        Pending {
            gpus: true,
            tools: true,
            project: true,
        }
    }
    pub fn any(&self) -> bool {
        self.gpus || self.tools || self.project
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    Info,
    Error,
}

/// A file of the current plan with its state on disk.
#[derive(Clone, Debug)]
pub struct FileView {
    pub file: GeneratedFile,
    pub status: FileStatus,
    pub existing: Option<String>,
}

/// What a mouse click on a region of the last frame does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// A step (tab or column row): go there.
    Step(Step),
    /// Row `i` of the current field's list (an option, or a Review row).
    Row(usize),
    /// Tab `i` of the preview.
    Tab(usize),
    /// Anywhere else in a pane: focus it.
    Pane(Pane),
}

/// A row of the review step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewRow {
    File(usize),
    Write,
    WriteBuild,
}

pub struct App {
    pub facts: Facts,
    pub pending: Pending,
    pub choices: Choices,
    pub initial: Choices,
    /// Text of the generated files on disk (None: missing), by path.
    pub disk: BTreeMap<String, Option<String>>,
    pub plan: Result<Plan, String>,
    pub files: Vec<FileView>,
    pub step: Step,
    pub field: usize,
    pub cursor: usize,
    pub opts: Vec<Opt>,
    pub input: String,
    pub input_error: Option<String>,
    pub focus: Pane,
    pub step_cursor: usize,
    /// The preview's tab: 0 the summary, then the plan's files in order.
    pub tab: usize,
    /// Preview scroll offset per tab name.
    pub scroll: BTreeMap<String, u16>,
    pub diff: bool,
    /// 0 normal, 1 preview zoomed to the whole screen, 2 zoomed and wrapped.
    pub zoom: u8,
    pub overlay: Option<Overlay>,
    pub overlay_scroll: u16,
    pub why_scroll: u16,
    /// Scroll of the host facts on the Host step.
    pub host_scroll: u16,
    /// Set by the suspend key; the event loop suspends and clears it.
    pub suspend: bool,
    /// Problems with the target folder found before the questions (not
    /// writable, not a repository): (text, whether it stops writing).
    pub dir_notes: Vec<(String, bool)>,
    pub confirm_quit: bool,
    /// Changed files the user confirmed to replace.
    pub replace: BTreeMap<String, bool>,
    pub message: Option<(String, MsgKind)>,
    pub tick: u64,
    pub size: (u16, u16),
    pub color: bool,
    /// Where the last frame drew what a click can reach (set while drawing;
    /// the innermost region is last).
    pub hits: RefCell<Vec<(Rect, Hit)>>,
    /// The compose project name (images are `<project>-<target>`), for the
    /// Slurm and bake files.
    pub project: String,
    /// This host's platform (`linux/amd64`), the bake file's default.
    pub host_platform: String,
    /// A UID below 1000 is accepted (`--allow-low-uid`, or Enter twice on it).
    pub allow_low_uid: bool,
    /// The low UID refused last (Enter on it again allows it).
    pub low_uid_refused: Option<String>,
}

impl App {
    pub fn new(
        facts: Facts,
        pending: Pending,
        choices: Choices,
        disk: BTreeMap<String, Option<String>>,
    ) -> App {
        let mut app = App {
            facts,
            pending,
            initial: choices.clone(),
            choices,
            disk,
            plan: Err(String::new()),
            files: vec![],
            step: Step::Host,
            field: 0,
            cursor: 0,
            opts: vec![],
            input: String::new(),
            input_error: None,
            focus: Pane::Form,
            step_cursor: 0,
            tab: 1,
            scroll: BTreeMap::new(),
            diff: false,
            zoom: 0,
            overlay: None,
            overlay_scroll: 0,
            why_scroll: 0,
            host_scroll: 0,
            suspend: false,
            dir_notes: vec![],
            confirm_quit: false,
            replace: BTreeMap::new(),
            message: None,
            tick: 0,
            size: (80, 24),
            color: true,
            hits: RefCell::new(vec![]),
            project: "app".into(),
            host_platform: "linux/amd64".into(),
            allow_low_uid: false,
            low_uid_refused: None,
        };
        app.refresh();
        app.enter_field();
        app
    }

    pub fn current_field(&self) -> Field {
        let f = self.fields_of(self.step);
        f[self.field.min(f.len() - 1)]
    }

    /// The questions of `step` these answers ask (the Kubernetes flavour
    /// only with kubernetes); never empty.
    pub fn fields_of(&self, step: Step) -> Vec<Field> {
        let all = step.fields();
        let f: Vec<Field> = all
            .iter()
            .copied()
            .filter(|f| form::applies(*f, &self.facts, &self.choices, self.plan_ok()))
            .collect();
        if f.is_empty() {
            all[..1].to_vec()
        } else {
            f
        }
    }

    pub fn plan_ok(&self) -> Option<&Plan> {
        self.plan.as_ref().ok()
    }

    /// Whether the user changed any answer.
    pub fn dirty(&self) -> bool {
        self.choices != self.initial
    }

    /// Width and height of the preview's text at this size and zoom.
    pub fn preview_dims(&self) -> (u16, u16) {
        let r = super::layout::preview_body(
            ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1),
            self.zoom,
            self.host_width(),
        );
        (r.width, r.height)
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Re-plan and re-render after a change of choices or facts.
    pub fn refresh(&mut self) {
        self.plan = plan(&self.facts, &self.choices).map_err(|e| form::plan_error_text(&e));
        if let Ok(p) = &self.plan {
            let fleet = crate::render::fleet::spec_for(p, &self.project, &self.host_platform);
            self.files = render(p)
                .into_iter()
                .chain(crate::render::fleet::render_fleet(p, &fleet))
                .map(|f| {
                    let existing = self.disk.get(&f.path).cloned().flatten();
                    let status = status_of(existing.as_deref(), &f.contents);
                    FileView {
                        file: f,
                        status,
                        existing,
                    }
                })
                .collect();
        }
        self.refresh_options();
        if self.tab >= self.tab_names().len() {
            self.tab = 0;
        }
        let h = self.preview_dims().1;
        for i in 0..self.tab_names().len() {
            self.clamp_scroll(i, h);
        }
    }

    /// The preview's tabs: the summary, then every file of the plan.
    pub fn tab_names(&self) -> Vec<String> {
        let mut t = vec![SUMMARY_TAB.to_string()];
        t.extend(self.files.iter().map(|f| f.file.path.clone()));
        t
    }

    pub fn tab_name(&self) -> String {
        self.tab_names()
            .get(self.tab)
            .cloned()
            .unwrap_or_else(|| SUMMARY_TAB.into())
    }

    /// The preview's scroll offset on tab `i`.
    pub fn scroll_of(&self, i: usize) -> u16 {
        self.tab_names()
            .get(i)
            .and_then(|n| self.scroll.get(n))
            .copied()
            .unwrap_or(0)
    }

    /// Recompute the options of the current field (keeps the cursor when it can).
    fn refresh_options(&mut self) {
        let field = self.current_field();
        let p = self.plan.as_ref().ok();
        self.opts = form::options(field, &self.facts, &self.choices, p);
        let n = self.row_count();
        if n > 0 && self.cursor >= n {
            self.cursor = n - 1;
        }
    }

    /// Set up the current field: options, highlight, text buffer.
    fn enter_field(&mut self) {
        self.refresh_options();
        let field = self.current_field();
        let p = self.plan.as_ref().ok();
        self.cursor = match field.kind() {
            FieldKind::Select => {
                form::default_index(field, &self.opts, &self.facts, &self.choices, p)
            }
            FieldKind::Review => self
                .review_rows()
                .iter()
                .position(|r| *r == ReviewRow::Write)
                .unwrap_or(0),
            _ => 0,
        };
        self.input = form::text_of(field, &self.choices);
        self.input_error = None;
        self.step_cursor = self.step.index();
        self.host_scroll = 0;
        self.why_scroll = 0;
        if field == Field::Review {
            // The cursor is on "Write": the preview shows the summary.
            self.tab = 0;
            self.diff = false;
        }
    }

    pub fn review_rows(&self) -> Vec<ReviewRow> {
        let mut rows: Vec<ReviewRow> = (0..self.files.len()).map(ReviewRow::File).collect();
        rows.push(ReviewRow::Write);
        rows.push(ReviewRow::WriteBuild);
        rows
    }

    fn row_count(&self) -> usize {
        match self.current_field().kind() {
            FieldKind::Select | FieldKind::Multi => self.opts.len(),
            FieldKind::Review => self.review_rows().len(),
            _ => 0,
        }
    }

    pub fn goto_step(&mut self, step: Step) {
        self.commit_text_silently();
        self.step = step;
        self.field = 0;
        self.enter_field();
    }

    fn commit_text_silently(&mut self) {
        let field = self.current_field();
        if field.kind() == FieldKind::Text {
            if let Ok(c) = form::set_text(
                field,
                &self.choices,
                &self.facts,
                &self.input,
                self.allow_low_uid,
            ) {
                if c != self.choices {
                    self.choices = c;
                    self.refresh();
                }
            }
        }
    }

    /// Next field, or the next step.
    fn advance(&mut self) {
        if self.field + 1 < self.fields_of(self.step).len() {
            self.field += 1;
            self.enter_field();
        } else if let Some(s) = self.step.next() {
            self.step = s;
            self.field = 0;
            self.enter_field();
        }
    }

    /// Previous field, or the last field of the previous step.
    fn back(&mut self) {
        if self.field > 0 {
            self.field -= 1;
            self.enter_field();
        } else if let Some(s) = self.step.prev() {
            self.step = s;
            self.field = self.fields_of(s).len() - 1;
            self.enter_field();
        }
    }

    fn set_choices(&mut self, c: Choices) {
        if c != self.choices {
            self.choices = c;
            self.refresh();
        }
    }

    fn error(&mut self, m: impl Into<String>) {
        self.message = Some((m.into(), MsgKind::Error));
    }

    /// Feed one event; Some(outcome) when the wizard is done.
    pub fn handle(&mut self, event: Event) -> Option<Outcome> {
        match event {
            Event::Tick => {
                self.tick = self.tick.wrapping_add(1);
                None
            }
            Event::Resize(w, h) => {
                self.size = (w, h);
                None
            }
            Event::Detect(d) => {
                self.detected(d);
                None
            }
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => {
                    self.scroll_by(3);
                    None
                }
                MouseEventKind::ScrollUp => {
                    self.scroll_by(-3);
                    None
                }
                MouseEventKind::Down(MouseButton::Left) => self.click(m.column, m.row),
                _ => None,
            },
            Event::Key(k) => {
                if k.kind != KeyEventKind::Press && k.kind != KeyEventKind::Repeat {
                    return None;
                }
                self.key(k)
            }
        }
    }

    /// A left click at (`x`, `y`): on a step, go there; on a row of the
    /// list, highlight it (and on the highlighted one, choose it, as Enter
    /// does; Space for stages); on a preview tab, show it; elsewhere in a
    /// pane, focus that pane. Overlays and the quit question close first.
    pub fn click(&mut self, x: u16, y: u16) -> Option<Outcome> {
        self.message = None;
        if self.confirm_quit || self.overlay.is_some() {
            self.confirm_quit = false;
            self.overlay = None;
            return None;
        }
        let at = Position::new(x, y);
        let hit = self
            .hits
            .borrow()
            .iter()
            .rev()
            .find(|(r, _)| r.contains(at))
            .map(|(_, h)| *h)?;
        match hit {
            Hit::Step(s) => {
                self.zoom = 0;
                self.goto_step(s);
                self.focus = Pane::Form;
            }
            Hit::Tab(i) => {
                if i < self.tab_names().len() {
                    self.tab = i;
                    self.diff = false;
                }
            }
            Hit::Pane(p) => {
                if self.focus != p {
                    self.commit_text_silently();
                    self.focus = p;
                }
            }
            Hit::Row(i) => {
                self.focus = Pane::Form;
                let kind = self.current_field().kind();
                if i >= self.row_count() {
                    return None;
                }
                if kind == FieldKind::Multi {
                    self.cursor = i;
                    return self.act_form(Action::Toggle);
                }
                if self.cursor == i {
                    return self.act_form(Action::Choose);
                }
                self.cursor = i;
                if kind == FieldKind::Review {
                    self.follow_review_row();
                }
            }
        }
        None
    }

    /// The highlighted Review row drives the preview: a file, or the summary.
    fn follow_review_row(&mut self) {
        match self.review_rows().get(self.cursor) {
            Some(ReviewRow::File(i)) => self.show_file(*i),
            Some(_) => {
                self.tab = 0;
                self.diff = false;
            }
            None => {}
        }
    }

    /// A detection part finished: merge it into the facts and re-plan.
    pub fn detected(&mut self, d: DetectEvent) {
        match d {
            DetectEvent::Gpus(g) => {
                self.pending.gpus = false;
                g.apply(&mut self.facts);
            }
            DetectEvent::Tools(t) => {
                self.pending.tools = false;
                self.facts.tools = t;
            }
            DetectEvent::Project(p) => {
                self.pending.project = false;
                self.facts.project = match p {
                    Ok(p) => p,
                    Err(e) => crate::facts::ProjectScan {
                        warnings: vec![crate::scan_issue::ScanIssue::general(
                            crate::scan_issue::IssueKind::Note,
                            e,
                        )],
                        ..Default::default()
                    },
                };
            }
        }
        let keep = self.cursor;
        self.refresh();
        // A Select field follows the plan's (possibly new) default unless
        // the user moved the highlight.
        let field = self.current_field();
        if field.kind() == FieldKind::Select {
            let d = form::default_index(
                field,
                &self.opts,
                &self.facts,
                &self.choices,
                self.plan.as_ref().ok(),
            );
            self.cursor = if keep < self.opts.len() && self.cursor != keep {
                keep
            } else {
                d
            };
        }
    }

    /// Where the wizard is, for the keymap.
    pub fn key_context(&self) -> Context {
        Context {
            typing: self.zoom == 0
                && self.overlay.is_none()
                && self.focus == Pane::Form
                && self.current_field().kind() == FieldKind::Text,
            review: self.step == Step::Review,
        }
    }

    fn key(&mut self, k: KeyEvent) -> Option<Outcome> {
        self.message = None;
        let cx = self.key_context();
        let act = keymap::action(&k, cx);

        if self.confirm_quit {
            return match (k.code, act) {
                (KeyCode::Char('y') | KeyCode::Char('Y'), _) | (_, Some(Action::Quit)) => {
                    Some(Outcome::Cancelled)
                }
                _ => {
                    self.confirm_quit = false;
                    None
                }
            };
        }
        if self.overlay.is_some() {
            match act {
                Some(Action::Up) => self.overlay_scroll = self.overlay_scroll.saturating_sub(1),
                Some(Action::Down) => self.overlay_scroll = self.overlay_scroll.saturating_add(1),
                Some(Action::PageUp) => self.overlay_scroll = self.overlay_scroll.saturating_sub(8),
                Some(Action::PageDown) => {
                    self.overlay_scroll = self.overlay_scroll.saturating_add(8)
                }
                Some(Action::Suspend) => self.suspend = true,
                Some(Action::Quit) => {
                    self.overlay = None;
                    return self.quit();
                }
                _ => self.overlay = None,
            }
            return None;
        }
        let Some(a) = act else {
            if cx.typing {
                self.typed(k);
            }
            return None;
        };
        // Actions that mean the same everywhere.
        match a {
            Action::Quit => return self.quit(),
            Action::Suspend => {
                self.suspend = true;
                return None;
            }
            Action::Help | Action::Host => {
                self.overlay = Some(if a == Action::Help {
                    Overlay::Help
                } else {
                    Overlay::Host
                });
                self.overlay_scroll = 0;
                return None;
            }
            Action::Review => {
                self.zoom = 0;
                self.goto_step(Step::Review);
                self.focus = Pane::Form;
                return None;
            }
            Action::Write => return self.finish(false),
            Action::WriteBuild => return self.finish(true),
            Action::NextPane | Action::PrevPane => {
                self.commit_text_silently();
                let order = [Pane::Form, Pane::Preview, Pane::Why, Pane::Steps];
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = if a == Action::NextPane { i + 1 } else { i + 3 };
                self.focus = order[n % order.len()];
                return None;
            }
            Action::Diff => {
                self.diff = !self.diff;
                return None;
            }
            Action::Zoom => {
                self.zoom = (self.zoom + 1) % 3;
                return None;
            }
            Action::PrevFile | Action::NextFile => {
                self.step_tab(a == Action::NextFile);
                return None;
            }
            Action::PageDown | Action::PageUp if self.focus != Pane::Why => {
                let page = self.preview_dims().1.max(2) as i32 - 1;
                self.scroll_by(if a == Action::PageDown { page } else { -page });
                return None;
            }
            _ => {}
        }
        if self.zoom > 0 {
            if a == Action::Back {
                self.zoom = 0;
                return None;
            }
            return self.act_preview(a);
        }
        match self.focus {
            Pane::Steps => self.act_steps(a),
            Pane::Preview => self.act_preview(a),
            Pane::Why => self.act_why(a),
            Pane::Form => self.act_form(a),
        }
    }

    /// A key typed into the text field.
    fn typed(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Backspace => {
                self.input.pop();
                self.validate_input();
            }
            KeyCode::Char(c) => {
                if self.input.chars().count() < 200 {
                    self.input.push(c);
                }
                self.validate_input();
            }
            _ => {}
        }
    }

    fn quit(&mut self) -> Option<Outcome> {
        if self.dirty() {
            self.confirm_quit = true;
            None
        } else {
            Some(Outcome::Cancelled)
        }
    }

    fn step_tab(&mut self, forward: bool) {
        let n = self.tab_names().len();
        self.tab = if forward {
            (self.tab + 1) % n
        } else {
            (self.tab + n - 1) % n
        };
    }

    fn act_steps(&mut self, a: Action) -> Option<Outcome> {
        match a {
            Action::Up | Action::Left => self.step_cursor = self.step_cursor.saturating_sub(1),
            Action::Down | Action::Right => {
                self.step_cursor = (self.step_cursor + 1).min(Step::ALL.len() - 1)
            }
            Action::Choose => {
                self.goto_step(Step::ALL[self.step_cursor]);
                self.focus = Pane::Form;
            }
            Action::Back => self.focus = Pane::Form,
            _ => {}
        }
        None
    }

    fn act_preview(&mut self, a: Action) -> Option<Outcome> {
        match a {
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::Left => self.step_tab(false),
            Action::Right => self.step_tab(true),
            Action::Home => {
                let name = self.tab_name();
                self.scroll.insert(name, 0);
            }
            Action::End => self.scroll_by(i32::MAX / 2),
            Action::Back | Action::Choose => self.focus = Pane::Form,
            _ => {}
        }
        None
    }

    fn act_why(&mut self, a: Action) -> Option<Outcome> {
        match a {
            Action::Up => self.why_scroll = self.why_scroll.saturating_sub(1),
            Action::Down => self.why_scroll = (self.why_scroll + 1).min(self.why_lines_max()),
            Action::PageUp => self.why_scroll = self.why_scroll.saturating_sub(4),
            Action::PageDown => self.why_scroll = (self.why_scroll + 4).min(self.why_lines_max()),
            Action::Home => self.why_scroll = 0,
            Action::End => self.why_scroll = self.why_lines_max(),
            Action::Back | Action::Choose => self.focus = Pane::Form,
            _ => {}
        }
        None
    }

    /// The largest useful Why scroll offset (one per logical line).
    fn why_lines_max(&self) -> u16 {
        (self.why().len() as u16).saturating_sub(1)
    }

    fn act_form(&mut self, a: Action) -> Option<Outcome> {
        let field = self.current_field();
        match field.kind() {
            FieldKind::Info => match a {
                Action::Up => self.host_scroll = self.host_scroll.saturating_sub(1),
                Action::Down => self.host_scroll = self.host_scroll.saturating_add(1).min(60),
                Action::Choose | Action::Right => self.advance(),
                _ => {}
            },
            FieldKind::Select => match a {
                Action::Up => self.move_cursor(-1),
                Action::Down => self.move_cursor(1),
                Action::Home => self.cursor = 0,
                Action::End => self.cursor = self.opts.len().saturating_sub(1),
                Action::Choose | Action::Toggle => {
                    let Some(o) = self.opts.get(self.cursor).cloned() else {
                        self.advance();
                        return None;
                    };
                    if let Some(why) = &o.disabled {
                        self.error(format!("{} is not available: {why}", o.label));
                        return None;
                    }
                    let c = form::choose(field, &self.choices, self.plan.as_ref().ok(), &o.value);
                    self.set_choices(c);
                    self.advance();
                }
                Action::Back | Action::Left => self.back(),
                Action::Right => self.advance(),
                _ => {}
            },
            FieldKind::Multi => match a {
                Action::Up => self.move_cursor(-1),
                Action::Down => self.move_cursor(1),
                Action::Toggle => {
                    if let Some(o) = self.opts.get(self.cursor).cloned() {
                        let c = form::apply(field, &self.choices, &o.value);
                        match form::check_stages(c.stages.as_deref().unwrap_or(&[])) {
                            Ok(()) => self.set_choices(c),
                            Err(e) => self.error(e),
                        }
                    }
                }
                Action::Choose | Action::Right => self.advance(),
                Action::Back | Action::Left => self.back(),
                _ => {}
            },
            FieldKind::Text => match a {
                Action::Choose | Action::Down => {
                    // A low UID refused once is allowed by Enter on it again.
                    let input = self.input.trim().to_string();
                    if field == Field::Uid
                        && form::is_low_uid(&input)
                        && self.low_uid_refused.as_deref() == Some(input.as_str())
                    {
                        self.allow_low_uid = true;
                    }
                    match form::set_text(
                        field,
                        &self.choices,
                        &self.facts,
                        &self.input,
                        self.allow_low_uid,
                    ) {
                        Ok(c) => {
                            self.set_choices(c);
                            self.advance();
                        }
                        Err(e) if field == Field::Uid && form::is_low_uid(&input) => {
                            self.low_uid_refused = Some(input);
                            self.input_error = Some(format!(
                                "{e}; Enter again uses it anyway (as --allow-low-uid)"
                            ));
                        }
                        Err(e) => self.input_error = Some(e),
                    }
                }
                Action::Up => {
                    match form::set_text(
                        field,
                        &self.choices,
                        &self.facts,
                        &self.input,
                        self.allow_low_uid,
                    ) {
                        Ok(c) => {
                            self.set_choices(c);
                            self.back();
                        }
                        Err(e) => self.input_error = Some(e),
                    }
                }
                Action::Back => {
                    let committed = form::text_of(field, &self.choices);
                    if self.input != committed {
                        self.input = committed;
                        self.input_error = None;
                    } else {
                        self.back();
                    }
                }
                Action::ClearInput => {
                    self.input.clear();
                    self.validate_input();
                }
                _ => {}
            },
            FieldKind::Review => {
                let rows = self.review_rows();
                match a {
                    Action::Up => self.move_cursor(-1),
                    Action::Down => self.move_cursor(1),
                    Action::Back | Action::Left => self.back(),
                    Action::Toggle | Action::Choose => match rows.get(self.cursor) {
                        Some(ReviewRow::File(i)) => {
                            let i = *i;
                            let f = &self.files[i];
                            if f.status == FileStatus::Changed && f.file.kind == FileKind::Generated
                            {
                                let path = f.file.path.clone();
                                let on = !self.replace.get(&path).copied().unwrap_or(false);
                                self.replace.insert(path, on);
                            }
                        }
                        Some(ReviewRow::Write) => return self.finish(false),
                        Some(ReviewRow::WriteBuild) => return self.finish(true),
                        None => {}
                    },
                    _ => {}
                }
                self.follow_review_row();
            }
        }
        None
    }

    fn validate_input(&mut self) {
        let field = self.current_field();
        self.input_error = form::set_text(
            field,
            &self.choices,
            &self.facts,
            &self.input,
            self.allow_low_uid,
        )
        .err();
    }

    fn move_cursor(&mut self, d: i32) {
        let n = self.row_count();
        if n == 0 {
            return;
        }
        let c = self.cursor as i32 + d;
        self.cursor = c.clamp(0, n as i32 - 1) as usize;
    }

    /// Show file `i` of the plan in the preview (with the diff when it changed).
    fn show_file(&mut self, i: usize) {
        if let Some(f) = self.files.get(i) {
            self.tab = i + 1;
            self.diff = f.status == FileStatus::Changed;
        }
    }

    /// Lines of the current preview text (for scrolling bounds).
    pub fn preview_text(&self) -> String {
        let width = self.preview_dims().0 as usize;
        if self.tab == 0 {
            return wrap(&self.summary_text(), width);
        }
        let text = self.file_text();
        if self.zoom == 2 {
            wrap(&text, width)
        } else {
            text
        }
    }

    /// The current file tab's text (or its diff).
    fn file_text(&self) -> String {
        let path = self.tab_name();
        let path = path.as_str();
        match self.files.iter().find(|f| f.file.path == path) {
            None => String::new(),
            Some(f) if self.diff => match &f.existing {
                Some(old) if f.status == FileStatus::Changed => {
                    crate::write::unified_diff(path, old, &f.file.contents)
                }
                Some(_) => format!("{path}: unchanged on disk\n"),
                None => format!(
                    "{path}: new file (nothing on disk to compare)\n\n{}",
                    f.file.contents
                ),
            },
            Some(f) => f.file.contents.clone(),
        }
    }

    fn scroll_by(&mut self, d: i32) {
        let s = self.scroll_of(self.tab) as i64 + d as i64;
        let name = self.tab_name();
        self.scroll.insert(name, s.clamp(0, u16::MAX as i64) as u16);
        self.clamp_scroll(self.tab, self.preview_dims().1);
    }

    fn clamp_scroll(&mut self, tab: usize, height: u16) {
        let saved = self.tab;
        self.tab = tab;
        let lines = self.preview_text().lines().count() as u16;
        let name = self.tab_name();
        self.tab = saved;
        let max = lines.saturating_sub(height.max(1));
        if let Some(s) = self.scroll.get_mut(&name) {
            if *s > max {
                *s = max;
            }
        }
    }

    fn finish(&mut self, build: bool) -> Option<Outcome> {
        if let Err(e) = &self.plan {
            let e = e.clone();
            self.error(format!("cannot write: {e}"));
            return None;
        }
        if let Some((why, _)) = self.dir_notes.iter().find(|(_, blocks)| *blocks) {
            // Found before the work: the answers stay, and the same setup
            // can be written from somewhere that can.
            let why = why.clone();
            self.error(format!(
                "cannot write: {why}. Your choices are kept; the same files from a shell that can write there: {}",
                crate::fixes::init_command(&self.choices)
            ));
            return None;
        }
        let replace: Vec<String> = self
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Changed && f.file.kind == FileKind::Generated)
            .filter(|f| self.replace.get(&f.file.path).copied().unwrap_or(false))
            .map(|f| f.file.path.clone())
            .collect();
        Some(if build {
            Outcome::WriteAndBuild { replace }
        } else {
            Outcome::Write { replace }
        })
    }

    /// The choice summary, every warning and every explanation: the
    /// preview's first tab (Review shows it while the cursor is on an action).
    pub fn summary_text(&self) -> String {
        let p = match &self.plan {
            Ok(p) => p,
            Err(e) => return format!("No plan: the current choices cannot be made.\n\n{e}\n"),
        };
        let mut o = String::new();
        if !p.warnings.is_empty() {
            o.push_str(&format!("Warnings ({})\n", p.warnings.len()));
            for w in &p.warnings {
                o.push_str(&format!("  ! {w}\n"));
            }
            o.push('\n');
        }
        o.push_str("Choices\n");
        let mut row = |k: &str, v: String| o.push_str(&format!("  {k:<16} {v}\n"));
        row(
            "Framework",
            match &p.framework_version {
                Some(v) => format!("{} {v}", p.framework_name),
                None => p.framework_name.clone(),
            },
        );
        row(
            "CUDA",
            match &p.cuda {
                Some(c) => match &c.tag {
                    Some(t) => format!("{} ({t})", c.version),
                    None => c.version.to_string(),
                },
                None => "none (CPU)".into(),
            },
        );
        if self.choices.framework.is_none() {
            if let Some((a, b)) = form::ambiguous_framework(&self.facts) {
                row(
                    "",
                    format!("(two close in the code: {a}; {b} — step 2 asks)"),
                );
            }
        }
        row("Python", p.python.to_string());
        row("Package manager", p.package_manager.to_string());
        row("Base image", p.images.runtime.clone());
        if p.images.builder != p.images.runtime {
            row("Builder image", p.images.builder.clone());
        }
        row(
            "Stages",
            p.stages
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        if let Some(v) = dockerfile_row(p, &self.facts) {
            row("Dockerfile", v);
        }
        if p.has(crate::choices::Stage::Training) {
            row(
                "Training runs",
                match &p.code.training_entry {
                    Some(f) => f.clone(),
                    None => "train.py (mlcontain's scaffold)".into(),
                },
            );
        }
        if p.has(crate::choices::Stage::Inference) {
            row(
                "Inference runs",
                match &p.code.inference_entry {
                    Some(f) => f.clone(),
                    None => "serve.py (mlcontain's scaffold)".into(),
                },
            );
            row("Port", p.port.to_string());
        }
        row("GPUs", form::placeholder(Field::Gpus, Some(p)));
        row(
            "Platform",
            if p.platforms.is_empty() {
                "this host's".into()
            } else {
                crate::platform::join(&p.platforms)
            },
        );
        row(
            "Deploy",
            p.deploy
                .targets
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        if p.deploy.has(crate::choices::DeployTarget::Kubernetes) {
            let mut k = vec!["Indexed Job"];
            for f in &p.deploy.k8s_flavours {
                k.push(match f {
                    crate::choices::K8sFlavour::Jobset => "JobSet",
                    crate::choices::K8sFlavour::Pytorchjob => "PyTorchJob",
                    crate::choices::K8sFlavour::Kserve => "KServe InferenceService",
                });
            }
            row("Kubernetes", k.join(" + "));
        }
        if p.has(crate::choices::Stage::Training) {
            row(
                "Training",
                match p.deploy.local_procs() {
                    Some(n) => format!("torchrun --standalone, {} processes", n.arg()),
                    None => "one process".into(),
                },
            );
            if p.deploy.targets.len() > 1 {
                row(
                    "Cluster",
                    format!(
                        "{} node{} x {}",
                        p.deploy.nodes,
                        if p.deploy.nodes == 1 { "" } else { "s" },
                        match p.deploy.gpus_per_node {
                            Some(g) => format!("{g} GPU{}", if g == 1 { "" } else { "s" }),
                            None => "CPU".into(),
                        }
                    ),
                );
            }
        }
        if p.warnings.is_empty() {
            o.push_str("\nWarnings: none\n");
        }
        o.push_str("\nWhy\n");
        for e in &p.explanations {
            o.push_str(&format!("  {}\n", e.text));
        }
        o
    }

    /// The explanation lines for the current field ("why").
    pub fn why(&self) -> Vec<String> {
        let Ok(p) = &self.plan else {
            return vec![];
        };
        let field = self.current_field();
        let topics = field.topics();
        let mut out: Vec<String> = if field == Field::Review {
            p.explanations.iter().map(|e| e.text.clone()).collect()
        } else {
            p.explanations
                .iter()
                .filter(|e| topics.contains(&e.topic))
                .map(|e| e.text.clone())
                .collect()
        };
        for w in &p.warnings {
            out.push(format!("warning: {w}"));
        }
        out
    }

    /// A one-line description of the docker daemon state.
    pub fn docker_text(&self) -> String {
        let t = &self.facts.tools;
        let docker = t
            .found
            .get("docker")
            .and_then(|d| d.as_ref())
            .map(|d| d.version.clone().unwrap_or_else(|| "found".into()));
        let daemon = match t.docker_daemon {
            DaemonState::Reachable => "daemon running",
            DaemonState::NotRunning => "daemon not running",
            DaemonState::PermissionDenied => "permission denied",
            DaemonState::Hung => "daemon not answering",
            DaemonState::Unknown => "daemon unknown",
            DaemonState::NoClient => "not installed",
        };
        match docker {
            Some(v) => format!("docker {v}, {daemon}"),
            None if t.docker_daemon == DaemonState::NoClient || t.found.contains_key("docker") => {
                "not installed".into()
            }
            None => "unknown".into(),
        }
    }

    /// The current highlighted option's value, for Select/Multi fields.
    pub fn highlighted(&self) -> Option<&Value> {
        self.opts.get(self.cursor).map(|o| &o.value)
    }
}

/// Hard-wrap `text` at `width` columns (by characters), continuation lines
/// indented like the line they continue, so scrolling counts what is drawn.
pub fn wrap(text: &str, width: usize) -> String {
    if width < 8 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = chars
            .iter()
            .take_while(|c| **c == ' ')
            .count()
            .min(width / 2)
            + 2;
        let mut start = 0;
        let mut first = true;
        while start < chars.len() {
            let room = if first { width } else { width - indent };
            let mut end = (start + room).min(chars.len());
            if end < chars.len() {
                // Break at the last space when there is one.
                if let Some(sp) = chars[start..end].iter().rposition(|c| *c == ' ') {
                    if sp > 0 {
                        end = start + sp + 1;
                    }
                }
            }
            if !first {
                out.push_str(&" ".repeat(indent));
            }
            out.extend(chars[start..end].iter());
            out.push('\n');
            start = end;
            first = false;
        }
    }
    out
}

/// The summary's Dockerfile row: when the project has its own Dockerfile,
/// whether it is kept (and the stages compose builds from it) or replaced.
fn dockerfile_row(p: &Plan, facts: &Facts) -> Option<String> {
    match &p.code.kept_dockerfile {
        Some(st) if st.is_empty() => Some("the project's, kept (one unnamed stage)".into()),
        Some(st) => Some(format!("the project's, kept (stages: {})", st.join(", "))),
        None if facts.project.code.dockerfile_stages.is_some() => {
            Some("generated (replacing the project's needs your OK in Review)".into())
        }
        None => None,
    }
}
