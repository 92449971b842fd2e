//! The wizard's state machine: events in, state and outcome out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use mlcontain::choices::Accel;
use mlcontain::detect::nvml::GpuFacts;
use mlcontain::detect::DetectEvent;
use mlcontain::facts::Facts;
use mlcontain::scenarios;
use mlcontain::tui::app::{App, Event, Outcome, Overlay, Pane, Pending, ReviewRow};
use mlcontain::tui::form::{Field, Step};
use std::collections::BTreeMap;

fn key(app: &mut App, code: KeyCode) -> Option<Outcome> {
    app.handle(Event::Key(KeyEvent::from(code)))
}

fn keys(app: &mut App, s: &str) -> Option<Outcome> {
    let mut out = None;
    for c in s.chars() {
        out = key(app, KeyCode::Char(c));
    }
    out
}

fn ctrl_c(app: &mut App) -> Option<Outcome> {
    app.handle(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))
}

fn app_on(facts: Facts) -> App {
    App::new(
        facts,
        Pending::default(),
        Default::default(),
        BTreeMap::new(),
    )
}

#[test]
fn enter_goes_forward_and_esc_back() {
    let mut a = app_on(scenarios::h100_535());
    assert_eq!(a.step, Step::Host);
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        (a.step, a.current_field()),
        (Step::Framework, Field::Framework)
    );
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.current_field(), Field::FrameworkVersion);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.current_field(), Field::Framework);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.step, Step::Host);
    // Accepting every default changes no choice.
    for _ in 0..20 {
        key(&mut a, KeyCode::Enter);
        if a.step == Step::Review {
            break;
        }
    }
    assert_eq!(a.step, Step::Review);
    assert!(!a.dirty());
}

#[test]
fn quit_without_changes_cancels_at_once() {
    let mut a = app_on(scenarios::no_gpu());
    assert_eq!(keys(&mut a, "q"), Some(Outcome::Cancelled));
    let mut a = app_on(scenarios::no_gpu());
    assert_eq!(ctrl_c(&mut a), Some(Outcome::Cancelled));
}

#[test]
fn quit_with_changes_asks_first() {
    let mut a = app_on(scenarios::h100_535());
    key(&mut a, KeyCode::Enter);
    // Pick the next framework in the list.
    let before = a.choices.clone();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Enter);
    assert_ne!(a.choices, before);
    assert!(a.dirty());
    assert_eq!(keys(&mut a, "q"), None);
    assert!(a.confirm_quit);
    assert_eq!(keys(&mut a, "n"), None);
    assert!(!a.confirm_quit);
    assert_eq!(ctrl_c(&mut a), None);
    assert!(a.confirm_quit);
    assert_eq!(ctrl_c(&mut a), Some(Outcome::Cancelled));
}

#[test]
fn disabled_options_cannot_be_chosen() {
    let mut a = app_on(scenarios::gtx1080_470());
    a.goto_step(Step::Cuda);
    let i = a
        .opts
        .iter()
        .position(|o| o.disabled.is_some())
        .expect("a disabled CUDA");
    a.cursor = i;
    let before = a.choices.clone();
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.choices, before);
    assert_eq!(a.step, Step::Cuda);
    let (msg, _) = a.message.clone().unwrap();
    assert!(msg.contains("not available"), "{msg}");
}

#[test]
fn choosing_cpu_changes_the_plan() {
    let mut a = app_on(scenarios::h100_535());
    a.goto_step(Step::Cuda);
    assert!(a.plan_ok().unwrap().cuda.is_some());
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.choices.cuda, Some(Accel::Cpu));
    assert!(a.plan_ok().unwrap().cuda.is_none());
    assert_eq!(a.step, Step::Python);
    let dockerfile = &a.files[0].file.contents;
    assert!(!dockerfile.contains("cu12"), "{dockerfile}");
}

#[test]
fn text_fields_validate() {
    let mut a = app_on(scenarios::no_gpu());
    a.goto_step(Step::Runtime);
    assert_eq!(a.current_field(), Field::Port);
    keys(&mut a, "abc");
    assert!(a.input_error.is_some());
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.current_field(), Field::Port, "invalid input stays");
    for _ in 0..3 {
        key(&mut a, KeyCode::Backspace);
    }
    keys(&mut a, "9000");
    assert!(a.input_error.is_none());
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.choices.port, Some(9000));
    assert_eq!(a.current_field(), Field::Uid);
    // `q` is a letter while typing.
    assert_eq!(keys(&mut a, "q"), None);
    assert_eq!(a.input, "q");
    key(&mut a, KeyCode::Esc); // undo the typing
    assert_eq!(a.input, "");
    key(&mut a, KeyCode::Esc); // back to the port
    assert_eq!(a.current_field(), Field::Port);
}

#[test]
fn stages_keep_at_least_one() {
    let mut a = app_on(scenarios::no_gpu());
    a.goto_step(Step::Stages);
    key(&mut a, KeyCode::Char(' ')); // training off
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' ')); // inference off
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' ')); // dev: refused, the last one
    assert_eq!(
        a.choices.stages.as_deref(),
        Some(&[mlcontain::choices::Stage::Dev][..])
    );
    assert!(a.message.is_some());
}

#[test]
fn review_confirms_changed_files() {
    let mut disk = BTreeMap::new();
    disk.insert("compose.yaml".to_string(), Some("old\n".to_string()));
    let mut a = App::new(
        scenarios::no_gpu(),
        Pending::default(),
        Default::default(),
        disk,
    );
    a.goto_step(Step::Review);
    // Without confirmation the changed file is kept.
    let rows = a.review_rows();
    let compose = rows
        .iter()
        .position(|r| matches!(r, ReviewRow::File(i) if a.files[*i].file.path == "compose.yaml"))
        .unwrap();
    assert_eq!(a.tab, 0, "the review opens on the summary");
    a.cursor = compose;
    key(&mut a, KeyCode::Char(' '));
    assert!(
        a.diff && a.tab_name() == "compose.yaml",
        "the file row drives the preview: the changed file's diff"
    );
    assert_eq!(
        keys(&mut a, "b"),
        Some(Outcome::WriteAndBuild {
            replace: vec!["compose.yaml".into()]
        })
    );
    let mut a2 = App::new(
        scenarios::no_gpu(),
        Pending::default(),
        Default::default(),
        {
            let mut d = BTreeMap::new();
            d.insert("compose.yaml".to_string(), Some("old\n".to_string()));
            d
        },
    );
    a2.goto_step(Step::Review);
    assert_eq!(keys(&mut a2, "w"), Some(Outcome::Write { replace: vec![] }));
}

#[test]
fn resize_and_tiny_terminal() {
    let mut a = app_on(scenarios::no_gpu());
    a.handle(Event::Resize(40, 10));
    assert!(a.too_small());
    a.handle(Event::Resize(80, 24));
    assert!(!a.too_small());
    // Keys still work after resizes.
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.step, Step::Framework);
}

#[test]
fn detection_results_update_the_plan() {
    let mut a = App::new(
        Facts::default(),
        Pending::all(),
        Default::default(),
        BTreeMap::new(),
    );
    assert!(a.plan_ok().unwrap().cuda.is_none());
    // Usable before detection ends.
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.step, Step::Framework);
    let h = scenarios::h100_535();
    a.handle(Event::Detect(DetectEvent::Gpus(GpuFacts {
        gpus: h.gpus,
        driver: h.driver,
        nvml: h.nvml,
    })));
    assert!(!a.pending.gpus);
    assert!(a.pending.project);
    assert!(
        a.plan_ok().unwrap().cuda.is_some(),
        "an H100 gets a CUDA build"
    );
}

#[test]
fn panes_help_and_scrolling() {
    let mut a = app_on(scenarios::h100_535());
    assert_eq!(a.focus, Pane::Form);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Preview);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.scroll_of(a.tab), 1);
    a.handle(Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.scroll_of(a.tab), 4);
    assert_eq!(a.tab_name(), "Dockerfile");
    key(&mut a, KeyCode::Right);
    assert_eq!(a.tab_name(), "compose.yaml");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Why);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Steps);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    assert_eq!((a.step, a.focus), (Step::Cuda, Pane::Form));
    keys(&mut a, "?");
    assert_eq!(a.overlay, Some(Overlay::Help));
    keys(&mut a, "x");
    assert_eq!(a.overlay, None);
    keys(&mut a, "d");
    assert!(a.diff);
}

#[test]
fn a_saved_config_opens_with_its_answers() {
    let saved = mlcontain::choices::SavedConfig::parse(
        "framework: jax\ncuda: cpu\npython: \"3.11\"\npackage_manager: uv\nstages: [training]\nport: 9100\ncatalog: \"2026-11-27\"\n",
        "mlcontain.yaml",
    )
    .unwrap();
    let choices = mlcontain::usecase::session::merge_layers(Default::default(), Some(&saved));
    let a = App::new(
        scenarios::h100_535(),
        Pending::default(),
        choices,
        BTreeMap::new(),
    );
    let p = a.plan_ok().unwrap();
    assert_eq!(p.framework, "jax");
    assert!(p.cuda.is_none());
    assert_eq!(p.python.to_string(), "3.11");
    assert_eq!(p.stages, vec![mlcontain::choices::Stage::Training]);
    assert_eq!(p.port, 9100);
    assert!(!a.dirty());
}

/// A pin that cannot run here (torch 2.5.1+cu124 on an RTX 5090): the
/// wizard stays on PyTorch, offers fixes that plan, and options that do not
/// depend on the pin are not disabled by it.
#[test]
fn a_blocked_pin_is_never_swapped_silently() {
    let mut facts = scenarios::rtx5090_570();
    facts.project = mlcontain::detect::project::scan(&std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pip-torch"
    )))
    .unwrap();
    let mut a = App::new(
        facts,
        Pending::default(),
        Default::default(),
        BTreeMap::new(),
    );
    assert!(a.plan_ok().is_none(), "the pin cannot run here");
    a.goto_step(Step::Framework);
    let here = &a.opts[a.cursor];
    assert_eq!(
        here.value,
        mlcontain::tui::form::Value::Framework("pytorch".into())
    );
    assert!(here.warning.is_some() && here.disabled.is_none());
    // Runtime options are not blocked by the framework's pin.
    a.goto_step(Step::Runtime);
    while a.current_field() != Field::Syntax {
        key(&mut a, KeyCode::Enter);
    }
    assert!(a.opts.iter().all(|o| o.disabled.is_none()), "{:?}", a.opts);
    // No CPU fix: the planner installs no other build over a `+cu124` pin
    // (issue 11); the fixes offered are ones that plan.
    a.goto_step(Step::Framework);
    assert!(
        !a.opts.iter().any(|o| o.label.contains("CPU build")),
        "{:?}",
        a.opts.iter().map(|o| &o.label).collect::<Vec<_>>()
    );
}

/// A UID below 1000 is refused with the reason and the way to allow it;
/// Enter on it again allows it (as `--allow-low-uid`), and the equivalent
/// command says so.
#[test]
fn a_low_uid_is_refused_then_allowed_on_purpose() {
    assert_eq!(
        mlcontain::tui::form::MIN_UID,
        mlcontain::usecase::session::MIN_UID
    );
    let mut a = app_on(scenarios::h100_535());
    a.goto_step(Step::Runtime);
    key(&mut a, KeyCode::Enter); // port
    assert_eq!(a.current_field(), Field::Uid);
    keys(&mut a, "500");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.current_field(), Field::Uid, "refused");
    let e = a.input_error.clone().unwrap();
    assert!(
        e.contains("below 1000") && e.contains("--allow-low-uid"),
        "{e}"
    );
    assert_eq!(a.choices.uid, None);
    // Another low UID is refused afresh.
    key(&mut a, KeyCode::Backspace);
    keys(&mut a, "1");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.current_field(), Field::Uid);
    assert_eq!(a.choices.uid, None);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.choices.uid, Some(501), "Enter again allows it");
    assert_ne!(a.current_field(), Field::Uid);
    let cmd = mlcontain::fixes::init_command(&a.choices);
    assert!(
        cmd.contains("--uid 501") && cmd.contains("--allow-low-uid"),
        "{cmd}"
    );
    // Started with --allow-low-uid: accepted at once.
    let mut b = app_on(scenarios::h100_535());
    b.allow_low_uid = true;
    b.goto_step(Step::Runtime);
    key(&mut b, KeyCode::Enter);
    keys(&mut b, "999");
    key(&mut b, KeyCode::Enter);
    assert_eq!(b.choices.uid, Some(999));
}
