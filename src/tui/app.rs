//! The wizard's state machine. Pure: events in, state and an outcome out. No
//! terminal, no threads, no file I/O (the files on disk are handed in).

use super::form::{self, Field, FieldKind, Opt, Step, Value};
use crate::choices::Choices;
use crate::detect::DetectEvent;
use crate::facts::{DaemonState, Facts};
use crate::plan::{plan, Plan};
use crate::render::{
    render, FileKind, GeneratedFile, COMPOSE, CONFIG, DOCKERFILE, DOCKERIGNORE, README,
};
use crate::write::{status_of, FileStatus};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use std::collections::BTreeMap;

/// The files the preview shows, one tab each.
pub const PREVIEW_FILES: [&str; 5] = [DOCKERFILE, COMPOSE, DOCKERIGNORE, README, CONFIG];

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
    pub tab: usize,
    pub scroll: [u16; 5],
    pub diff: bool,
    pub help: bool,
    pub confirm_quit: bool,
    /// Changed files the user confirmed to replace.
    pub replace: BTreeMap<String, bool>,
    pub message: Option<(String, MsgKind)>,
    pub tick: u64,
    pub size: (u16, u16),
    pub color: bool,
    /// The height of the preview's text area at the last draw (for paging).
    pub preview_height: u16,
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
            tab: 0,
            scroll: [0; 5],
            diff: false,
            help: false,
            confirm_quit: false,
            replace: BTreeMap::new(),
            message: None,
            tick: 0,
            size: (80, 24),
            color: true,
            preview_height: 20,
        };
        app.refresh();
        app.enter_field();
        app
    }

    pub fn current_field(&self) -> Field {
        let f = self.step.fields();
        f[self.field.min(f.len() - 1)]
    }

    pub fn plan_ok(&self) -> Option<&Plan> {
        self.plan.as_ref().ok()
    }

    /// Whether the user changed any answer.
    pub fn dirty(&self) -> bool {
        self.choices != self.initial
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Re-plan and re-render after a change of choices or facts.
    pub fn refresh(&mut self) {
        self.plan = plan(&self.facts, &self.choices).map_err(|e| form::plan_error_text(&e));
        if let Ok(p) = &self.plan {
            self.files = render(p)
                .into_iter()
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
        let h = self.preview_height;
        for i in 0..PREVIEW_FILES.len() {
            self.clamp_scroll(i, h);
        }
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
            FieldKind::Select => form::default_index(field, &self.opts, &self.choices, p),
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
        if field == Field::Review {
            // Show the first changed file's diff.
            if let Some(i) = self
                .files
                .iter()
                .position(|f| f.status == FileStatus::Changed)
            {
                if let Some(t) = PREVIEW_FILES
                    .iter()
                    .position(|p| *p == self.files[i].file.path)
                {
                    self.tab = t;
                    self.diff = true;
                }
            }
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
            if let Ok(c) = form::set_text(field, &self.choices, &self.facts, &self.input) {
                if c != self.choices {
                    self.choices = c;
                    self.refresh();
                }
            }
        }
    }

    /// Next field, or the next step.
    fn advance(&mut self) {
        if self.field + 1 < self.step.fields().len() {
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
            self.field = s.fields().len() - 1;
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
            Event::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollDown => self.scroll_by(3),
                    MouseEventKind::ScrollUp => self.scroll_by(-3),
                    _ => {}
                }
                None
            }
            Event::Key(k) => {
                if k.kind != KeyEventKind::Press && k.kind != KeyEventKind::Repeat {
                    return None;
                }
                self.key(k)
            }
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
                        warnings: vec![e],
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
            let d = form::default_index(field, &self.opts, &self.choices, self.plan.as_ref().ok());
            self.cursor = if keep < self.opts.len() && self.cursor != keep {
                keep
            } else {
                d
            };
        }
    }

    fn key(&mut self, k: KeyEvent) -> Option<Outcome> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let ctrl_c = ctrl && matches!(k.code, KeyCode::Char('c') | KeyCode::Char('C'));
        self.message = None;

        if self.confirm_quit {
            return match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Char('q') => {
                    Some(Outcome::Cancelled)
                }
                _ if ctrl_c => Some(Outcome::Cancelled),
                _ => {
                    self.confirm_quit = false;
                    None
                }
            };
        }
        if ctrl_c {
            return self.quit();
        }
        if self.help {
            self.help = false;
            return None;
        }
        let field = self.current_field();
        let typing = self.focus == Pane::Form && field.kind() == FieldKind::Text;

        // Keys that work everywhere.
        match k.code {
            KeyCode::Tab => {
                self.commit_text_silently();
                self.focus = match self.focus {
                    Pane::Steps => Pane::Form,
                    Pane::Form => Pane::Preview,
                    Pane::Preview => Pane::Steps,
                };
                return None;
            }
            KeyCode::BackTab => {
                self.commit_text_silently();
                self.focus = match self.focus {
                    Pane::Steps => Pane::Preview,
                    Pane::Form => Pane::Steps,
                    Pane::Preview => Pane::Form,
                };
                return None;
            }
            KeyCode::PageDown => {
                self.scroll_by(self.preview_height.max(2) as i32 - 1);
                return None;
            }
            KeyCode::PageUp => {
                self.scroll_by(-(self.preview_height.max(2) as i32 - 1));
                return None;
            }
            KeyCode::Char(c) if !typing && !ctrl => match c {
                'q' => return self.quit(),
                '?' => {
                    self.help = true;
                    return None;
                }
                'd' => {
                    self.diff = !self.diff;
                    return None;
                }
                ']' => {
                    self.set_tab((self.tab + 1) % PREVIEW_FILES.len());
                    return None;
                }
                '[' => {
                    self.set_tab((self.tab + PREVIEW_FILES.len() - 1) % PREVIEW_FILES.len());
                    return None;
                }
                'w' if self.step == Step::Review => return self.finish(false),
                'b' if self.step == Step::Review => return self.finish(true),
                _ => {}
            },
            _ => {}
        }
        match self.focus {
            Pane::Steps => self.key_steps(k),
            Pane::Preview => self.key_preview(k),
            Pane::Form => self.key_form(k),
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

    fn key_steps(&mut self, k: KeyEvent) -> Option<Outcome> {
        match k.code {
            KeyCode::Up | KeyCode::Char('k') | KeyCode::Left | KeyCode::Char('h') => {
                self.step_cursor = self.step_cursor.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Right | KeyCode::Char('l') => {
                self.step_cursor = (self.step_cursor + 1).min(Step::ALL.len() - 1)
            }
            KeyCode::Enter => {
                self.goto_step(Step::ALL[self.step_cursor]);
                self.focus = Pane::Form;
            }
            KeyCode::Esc => self.focus = Pane::Form,
            _ => {}
        }
        None
    }

    fn key_preview(&mut self, k: KeyEvent) -> Option<Outcome> {
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Left | KeyCode::Char('h') => {
                self.set_tab((self.tab + PREVIEW_FILES.len() - 1) % PREVIEW_FILES.len())
            }
            KeyCode::Right | KeyCode::Char('l') => {
                self.set_tab((self.tab + 1) % PREVIEW_FILES.len())
            }
            KeyCode::Home | KeyCode::Char('g') => self.scroll[self.tab] = 0,
            KeyCode::End | KeyCode::Char('G') => self.scroll_by(i32::MAX / 2),
            KeyCode::Esc | KeyCode::Enter => self.focus = Pane::Form,
            _ => {}
        }
        None
    }

    fn key_form(&mut self, k: KeyEvent) -> Option<Outcome> {
        let field = self.current_field();
        match field.kind() {
            FieldKind::Info => match k.code {
                KeyCode::Enter | KeyCode::Down | KeyCode::Char('j') | KeyCode::Right => {
                    self.advance()
                }
                KeyCode::Esc => {}
                _ => {}
            },
            FieldKind::Select => match k.code {
                KeyCode::Up | KeyCode::Char('k') => self.move_cursor(-1),
                KeyCode::Down | KeyCode::Char('j') => self.move_cursor(1),
                KeyCode::Home => self.cursor = 0,
                KeyCode::End => self.cursor = self.opts.len().saturating_sub(1),
                KeyCode::Enter | KeyCode::Char(' ') => {
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
                KeyCode::Esc | KeyCode::Left => self.back(),
                KeyCode::Right => self.advance(),
                _ => {}
            },
            FieldKind::Multi => match k.code {
                KeyCode::Up | KeyCode::Char('k') => self.move_cursor(-1),
                KeyCode::Down | KeyCode::Char('j') => self.move_cursor(1),
                KeyCode::Char(' ') | KeyCode::Char('x') => {
                    if let Some(o) = self.opts.get(self.cursor).cloned() {
                        let c = form::apply(field, &self.choices, &o.value);
                        match form::check_stages(c.stages.as_deref().unwrap_or(&[])) {
                            Ok(()) => self.set_choices(c),
                            Err(e) => self.error(e),
                        }
                    }
                }
                KeyCode::Enter | KeyCode::Right => self.advance(),
                KeyCode::Esc | KeyCode::Left => self.back(),
                _ => {}
            },
            FieldKind::Text => match k.code {
                KeyCode::Enter | KeyCode::Down => {
                    match form::set_text(field, &self.choices, &self.facts, &self.input) {
                        Ok(c) => {
                            self.set_choices(c);
                            self.advance();
                        }
                        Err(e) => self.input_error = Some(e),
                    }
                }
                KeyCode::Up => match form::set_text(field, &self.choices, &self.facts, &self.input)
                {
                    Ok(c) => {
                        self.set_choices(c);
                        self.back();
                    }
                    Err(e) => self.input_error = Some(e),
                },
                KeyCode::Esc => {
                    let committed = form::text_of(field, &self.choices);
                    if self.input != committed {
                        self.input = committed;
                        self.input_error = None;
                    } else {
                        self.back();
                    }
                }
                KeyCode::Backspace => {
                    self.input.pop();
                    self.validate_input();
                }
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.input.clear();
                    self.validate_input();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    if self.input.chars().count() < 200 {
                        self.input.push(c);
                    }
                    self.validate_input();
                }
                _ => {}
            },
            FieldKind::Review => {
                let rows = self.review_rows();
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => self.move_cursor(-1),
                    KeyCode::Down | KeyCode::Char('j') => self.move_cursor(1),
                    KeyCode::Esc | KeyCode::Left => self.back(),
                    KeyCode::Char(' ') | KeyCode::Enter => match rows.get(self.cursor) {
                        Some(ReviewRow::File(i)) => {
                            let i = *i;
                            self.show_file(i);
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
                if let Some(ReviewRow::File(i)) = self.review_rows().get(self.cursor) {
                    self.show_file(*i);
                }
            }
        }
        None
    }

    fn validate_input(&mut self) {
        let field = self.current_field();
        self.input_error = form::set_text(field, &self.choices, &self.facts, &self.input).err();
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
            if let Some(t) = PREVIEW_FILES.iter().position(|p| *p == f.file.path) {
                self.tab = t;
                self.diff = f.status == FileStatus::Changed;
            }
        }
    }

    fn set_tab(&mut self, t: usize) {
        self.tab = t;
    }

    /// Lines of the current preview text (for scrolling bounds).
    pub fn preview_text(&self) -> String {
        let path = PREVIEW_FILES[self.tab];
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
        let s = self.scroll[self.tab] as i64 + d as i64;
        self.scroll[self.tab] = s.clamp(0, u16::MAX as i64) as u16;
        self.clamp_scroll(self.tab, self.preview_height);
    }

    fn clamp_scroll(&mut self, tab: usize, height: u16) {
        let saved = self.tab;
        self.tab = tab;
        let lines = self.preview_text().lines().count() as u16;
        self.tab = saved;
        let max = lines.saturating_sub(height.max(1));
        if self.scroll[tab] > max {
            self.scroll[tab] = max;
        }
    }

    fn finish(&mut self, build: bool) -> Option<Outcome> {
        if let Err(e) = &self.plan {
            let e = e.clone();
            self.error(format!("cannot write: {e}"));
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
