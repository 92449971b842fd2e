//! TestBackend snapshots of every wizard step at 80×24 and 120×40, with a
//! scenario host and a fixture project (no real detection, frozen spinner).

use crossterm::event::{KeyCode, KeyEvent};
use mlcontain::detect::project::scan;
use mlcontain::facts::Facts;
use mlcontain::scenarios;
use mlcontain::tui::app::{App, Event, Pending};
use mlcontain::tui::form::Step;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// pip-torch on an H100 host; compose.yaml on disk differs (for the review).
fn app() -> App {
    let facts = Facts {
        project: scan(&fixture("pip-torch")).unwrap(),
        ..scenarios::h100_535()
    };
    let mut disk = BTreeMap::new();
    disk.insert(
        "compose.yaml".to_string(),
        Some("services:\n  app:\n    build: .\n".to_string()),
    );
    let mut app = App::new(facts, Pending::default(), Default::default(), disk);
    app.color = false;
    app
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    app.handle(Event::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| f.render_widget(&*app, f.area())).unwrap();
    terminal.backend().to_string()
}

macro_rules! step_snapshots {
    ($($name:ident => $step:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                for (w, h) in [(80, 24), (120, 40)] {
                    let mut a = app();
                    a.goto_step($step);
                    let screen = draw(&mut a, w, h);
                    insta::assert_snapshot!(format!("{}_{}x{}", stringify!($name), w, h), screen);
                }
            }
        )*
    };
}

step_snapshots! {
    step1_host => Step::Host,
    step2_framework => Step::Framework,
    step3_cuda => Step::Cuda,
    step4_python => Step::Python,
    step5_stages => Step::Stages,
    step6_runtime => Step::Runtime,
    step7_review => Step::Review,
}

#[test]
fn incompatible_options_show_the_reason() {
    // A GTX 1080 on driver 470: CUDA 12.x builds cannot run; the highlighted
    // one says why.
    let facts = Facts {
        project: scan(&fixture("empty")).unwrap(),
        ..scenarios::gtx1080_470()
    };
    let mut a = App::new(
        facts,
        Pending::default(),
        Default::default(),
        BTreeMap::new(),
    );
    a.color = false;
    a.goto_step(Step::Cuda);
    a.cursor = 0;
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("can't run here"), "{screen}");
    assert!(screen.contains("driver"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn detection_pending_shows_spinners() {
    let mut a = App::new(
        Facts::default(),
        Pending::all(),
        Default::default(),
        BTreeMap::new(),
    );
    a.color = false;
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("GPUs: detecting"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay_and_tiny_terminal() {
    let mut a = app();
    a.handle(Event::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('?'),
    )));
    insta::assert_snapshot!("help_80x24", draw(&mut a, 80, 24));
    let tiny = draw(&mut a, 40, 10);
    assert!(tiny.contains("too small"), "{tiny}");
    insta::assert_snapshot!("tiny_40x10", tiny);
}

#[test]
fn diff_view_of_a_changed_file() {
    let mut a = app();
    a.goto_step(Step::Review);
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("Summary: choices and warnings"), "{screen}");
    // The file rows drive the preview: up from "Write" to compose.yaml.
    for _ in 0..4 {
        a.handle(Event::Key(KeyEvent::from(KeyCode::Up)));
    }
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("Diff: compose.yaml"), "{screen}");
    assert!(screen.contains("+++ b/compose.yaml"), "{screen}");
}

#[test]
fn no_color_means_no_colours() {
    use ratatui::style::Color;
    for colour in [false, true] {
        let mut a = app();
        a.color = colour;
        a.goto_step(Step::Cuda);
        a.handle(Event::Resize(120, 40));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| f.render_widget(&a, f.area())).unwrap();
        let buf = terminal.backend().buffer();
        let coloured = buf
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count();
        assert_eq!(
            coloured == 0,
            !colour,
            "colour={colour}: {coloured} coloured cells"
        );
    }
}

#[test]
fn long_option_lists_scroll() {
    let mut a = app();
    a.goto_step(Step::Framework);
    a.handle(Event::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Enter,
    )));
    // The version list (newest first): move to the oldest release.
    for _ in 0..20 {
        a.handle(Event::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Down,
        )));
    }
    let screen = draw(&mut a, 80, 18);
    assert!(screen.contains("more"), "{screen}");
    assert!(screen.contains("PyTorch 2.1.2"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn press(a: &mut App, keys: &str) {
    for c in keys.chars() {
        a.handle(Event::Key(KeyEvent::from(KeyCode::Char(c))));
    }
}

#[test]
fn zoomed_preview() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app();
        a.goto_step(Step::Framework);
        press(&mut a, "z");
        let zoomed = draw(&mut a, w, h);
        assert!(zoomed.contains("[zoom, z: wrap]"), "{zoomed}");
        insta::assert_snapshot!(format!("zoomed_preview_{w}x{h}"), zoomed);
        // Again: long lines wrap instead of being cut.
        press(&mut a, "z");
        let wrapped = draw(&mut a, w, h);
        assert!(wrapped.contains("[zoom, wrapped"), "{wrapped}");
        insta::assert_snapshot!(format!("zoomed_wrapped_preview_{w}x{h}"), wrapped);
        press(&mut a, "z");
        assert_eq!(a.zoom, 0);
    }
}

/// Review: the choice summary and a long list of warnings, all reachable.
#[test]
fn review_summary_with_many_warnings() {
    use mlcontain::choices::{Accel, Choices, GpuSelection};
    for (w, h) in [(80, 24), (120, 40)] {
        // A GTX 1080 on driver 470 generating for elsewhere: CUDA 12.4
        // will not run here, and the services reserve more GPUs than it has.
        let facts = Facts {
            project: scan(&fixture("pip-torch")).unwrap(),
            ..scenarios::gtx1080_470()
        };
        let choices = Choices {
            cuda: Some(Accel::Cuda("12.4".parse().unwrap())),
            gpus: Some("3".parse::<GpuSelection>().unwrap()),
            allow_incompatible: true,
            ..Default::default()
        };
        let mut a = App::new(facts, Pending::default(), choices, BTreeMap::new());
        a.color = false;
        a.goto_step(Step::Review);
        let screen = draw(&mut a, w, h);
        let warnings = a.plan_ok().unwrap().warnings.clone();
        assert!(warnings.len() >= 2, "{warnings:?}");
        assert!(
            screen.contains(&format!("Warnings ({})", warnings.len())),
            "{screen}"
        );
        insta::assert_snapshot!(format!("review_summary_{w}x{h}"), screen);
        // Scrolling the summary reaches the last warning.
        a.handle(Event::Key(KeyEvent::from(KeyCode::Tab)));
        a.handle(Event::Key(KeyEvent::from(KeyCode::End)));
        let end = draw(&mut a, w, h);
        let text = a.preview_text();
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert!(end.contains(last.trim()), "{last:?} not on\n{end}");
    }
}

/// The project pins torch 2.5.1+cu124 on an RTX 5090 (sm_120: no kernels in
/// that build). The wizard stays on PyTorch and shows the fix right there.
#[test]
fn pinned_torch_on_a_5090_stays_on_pytorch() {
    for (w, h) in [(80, 24), (120, 40)] {
        let facts = Facts {
            project: scan(&fixture("pip-torch")).unwrap(),
            ..scenarios::rtx5090_570()
        };
        let mut a = App::new(
            facts,
            Pending::default(),
            Default::default(),
            BTreeMap::new(),
        );
        a.color = false;
        a.goto_step(Step::Framework);
        let screen = draw(&mut a, w, h);
        insta::assert_snapshot!(format!("pinned_torch_5090_framework_{w}x{h}"), screen);
    }
}
