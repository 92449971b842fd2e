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
        // Every choice of the summary, the platform among them.
        let summary = a.summary_text();
        for row in [
            "Framework",
            "CUDA",
            "Python",
            "Package manager",
            "Base image",
            "Stages",
            "Port",
            "GPUs",
            "Platform",
            "Deploy",
        ] {
            assert!(
                summary.contains(&format!("\n  {row:<16} ")),
                "{row}:\n{summary}"
            );
        }
        assert!(summary.contains("linux/amd64"), "{summary}");
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

/// At 120 columns and more the host panel is as wide as its lines need:
/// the driver line is whole and the NVIDIA runtime line is there.
#[test]
fn wide_host_panel_fits_its_content() {
    for w in [120, 150, 200] {
        let mut a = app();
        a.facts.tools.nvidia_runtime = Some(true);
        a.goto_step(Step::Framework);
        let screen = draw(&mut a, w, 40);
        assert!(
            screen.contains("│Driver: 535.104.05 (CUDA 12.2)"),
            "{w}:\n{screen}"
        );
        assert!(
            screen.contains("NVIDIA runtime registered"),
            "{w}:\n{screen}"
        );
        assert!(
            screen.contains("0. H100 80GB HBM3 (sm_90)"),
            "{w}:\n{screen}"
        );
        if w == 120 {
            insta::assert_snapshot!("wide_host_panel_120x40", screen);
        }
        a.facts.tools.nvidia_runtime = Some(false);
        let screen = draw(&mut a, w, 40);
        assert!(screen.contains("NVIDIA runtime missing"), "{w}:\n{screen}");
    }
}

/// The marks of disabled options are explained: in the list when it shows
/// them and there is room, and always in the help.
#[test]
fn the_marks_have_a_legend() {
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
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("(can't run here)"), "{screen}");
    assert!(
        screen.contains("✗ can't run here: this GPU/driver cannot"),
        "{screen}"
    );
    // No mark shown, no legend: the Python list here has none disabled
    // for the host.
    assert!(!screen.contains("✗ unavailable: conflicts"), "{screen}");
    press(&mut a, "?");
    let help = draw(&mut a, 120, 40);
    for l in mlcontain::tui::ui::LEGEND {
        assert!(help.contains(l), "{l} not in\n{help}");
    }
    assert!(help.contains("● the plan's answer"), "{help}");
}

fn click(a: &mut App, x: u16, y: u16) -> Option<mlcontain::tui::app::Outcome> {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    a.handle(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    }))
}

/// Where `needle` is drawn on the screen text (column, row).
fn find(screen: &str, needle: &str) -> (u16, u16) {
    for (y, line) in screen.lines().enumerate() {
        let line = line.trim_start_matches('"');
        if let Some(b) = line.find(needle) {
            return (line[..b].chars().count() as u16, y as u16);
        }
    }
    panic!("{needle:?} not on\n{screen}");
}

/// Clicks: a step tab (bar at 80 columns, column at 120), an option
/// (highlight, then choose), a preview tab, a Review file row (drives the
/// preview; again toggles replacing it), the Write row.
#[test]
fn mouse_clicks_reach_steps_options_tabs_and_review_rows() {
    use mlcontain::tui::app::Outcome;
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app();
        let screen = draw(&mut a, w, h);
        let (x, y) = find(&screen, "Python");
        click(&mut a, x + 1, y);
        assert_eq!(a.step, Step::Python, "{w}x{h}");
        // An option: the first click highlights it, the second chooses it.
        let screen = draw(&mut a, w, h);
        let (x, y) = find(&screen, "Python 3.10");
        click(&mut a, x, y);
        assert_eq!(a.highlighted(), Some(&a.opts[a.cursor].value));
        assert!(a.opts[a.cursor].label.contains("3.10"), "{w}x{h}");
        assert_eq!(a.choices.python, None, "one click only highlights");
        click(&mut a, x, y);
        assert_eq!(
            a.choices.python.as_ref().map(|v| v.to_string()),
            Some("3.10".into())
        );
        // A preview tab.
        let screen = draw(&mut a, w, h);
        let (x, y) = find(&screen, " summary ");
        click(&mut a, x + 2, y);
        assert_eq!(a.tab, 0, "{w}x{h}");
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("Summary: choices and warnings"), "{screen}");
        // Review: the compose.yaml row shows its diff; again: replace it.
        let screen = draw(&mut a, w, h);
        let (x, y) = find(&screen, "Review");
        click(&mut a, x + 1, y);
        assert_eq!(a.step, Step::Review, "{w}x{h}\n{screen}");
        let screen = draw(&mut a, w, h);
        let (x, y) = find(&screen, "changed: keep");
        click(&mut a, x, y);
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("Diff: compose.yaml"), "{screen}");
        click(&mut a, x, y);
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("changed: REPLACE"), "{screen}");
        if w == 80 {
            insta::assert_snapshot!("review_after_clicks_80x24", screen);
        }
        // The Write row: highlighted by one click, written by the second.
        let (x, y) = find(&screen, "Write the files");
        assert_eq!(click(&mut a, x, y), None);
        draw(&mut a, w, h);
        assert_eq!(
            click(&mut a, x, y),
            Some(Outcome::Write {
                replace: vec!["compose.yaml".into()]
            })
        );
    }
}

/// Stages toggle with one click; a click in the Why pane focuses it.
#[test]
fn mouse_toggles_stages_and_focuses_panes() {
    let mut a = app();
    a.goto_step(Step::Stages);
    let screen = draw(&mut a, 120, 40);
    let (x, y) = find(&screen, "dev — an interactive");
    click(&mut a, x, y);
    assert!(
        !a.plan_ok().unwrap().has(mlcontain::choices::Stage::Dev),
        "one click toggles dev off"
    );
    let screen = draw(&mut a, 120, 40);
    let (x, y) = find(&screen, "Why");
    click(&mut a, x, y + 1);
    assert_eq!(a.focus, mlcontain::tui::app::Pane::Why);
}

/// Kubernetes chosen: the Runtime step asks the training flavour (Job,
/// JobSet, PyTorchJob) after the deploy targets; without kubernetes it is
/// not asked. The preview and Review list the deploy files.
#[test]
fn deploy_step_offers_the_kubernetes_flavour_and_previews_deploy_files() {
    use mlcontain::choices::{DeployTarget, K8sFlavour};
    use mlcontain::tui::form::{Field, Value};
    // Without kubernetes: Deploy is followed by Nodes.
    let mut a = app();
    a.goto_step(Step::Runtime);
    assert!(!a.fields_of(Step::Runtime).contains(&Field::K8sFlavour));
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app();
        a.goto_step(Step::Runtime);
        while a.current_field() != Field::Deploy {
            a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        }
        let i = a
            .opts
            .iter()
            .position(|o| {
                o.value
                    == Value::Deploy(vec![
                        DeployTarget::Compose,
                        DeployTarget::Kubernetes,
                        DeployTarget::Slurm,
                    ])
            })
            .unwrap();
        a.cursor = i;
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(a.current_field(), Field::K8sFlavour);
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("Indexed Job only"), "{screen}");
        insta::assert_snapshot!(format!("k8s_flavour_{w}x{h}"), screen);
        // JobSet: chosen, and its manifest is among the files.
        let j = a
            .opts
            .iter()
            .position(|o| o.value == Value::Flavours(vec![K8sFlavour::Jobset]))
            .unwrap();
        a.cursor = j;
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(a.choices.k8s_flavours, Some(vec![K8sFlavour::Jobset]));
        // The project serves: the serving flavour is asked next.
        assert_eq!(a.current_field(), Field::K8sServing);
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(a.choices.k8s_flavours, Some(vec![K8sFlavour::Jobset]));
        assert_eq!(a.current_field(), Field::Nodes);
        let tabs = a.tab_names();
        for want in [
            "deploy/k8s/base/kustomization.yaml",
            "deploy/slurm/train.sbatch",
            "deploy/slurm/mlcontain.def",
            "docker-bake.hcl",
        ] {
            assert!(tabs.iter().any(|t| t == want), "{want} not in {tabs:?}");
        }
        assert!(
            tabs.iter()
                .any(|t| t.starts_with("deploy/k8s/") && t.contains("jobset")),
            "{tabs:?}"
        );
        // Review rows show them, and a row previews its file.
        a.goto_step(Step::Review);
        let rows = a.review_rows().len();
        assert_eq!(rows, a.files.len() + 2);
        let bake = a
            .files
            .iter()
            .position(|f| f.file.path == "docker-bake.hcl")
            .unwrap();
        a.cursor = bake + 1;
        a.handle(Event::Key(KeyEvent::from(KeyCode::Up)));
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("Preview: docker-bake.hcl"), "{screen}");
        assert!(screen.contains("target"), "{screen}");
        insta::assert_snapshot!(format!("review_deploy_files_{w}x{h}"), screen);
    }
}

fn app_for(fixture_name: &str) -> App {
    let facts = Facts {
        project: scan(&fixture(fixture_name)).unwrap(),
        ..scenarios::h100_535()
    };
    let mut a = App::new(
        facts,
        Pending::default(),
        Default::default(),
        BTreeMap::new(),
    );
    a.color = false;
    a
}

/// Two frameworks the code uses about equally: the Framework step asks,
/// each with its reason, the top one preselected (not chosen), and the
/// Review summary says it was a close call.
#[test]
fn an_ambiguous_framework_is_asked_with_each_reason() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app_for("torch-jax-close");
        a.goto_step(Step::Framework);
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("Two frameworks, used about"), "{screen}");
        let labels: Vec<&str> = a.opts.iter().map(|o| o.label.as_str()).collect();
        assert!(
            labels
                .iter()
                .any(|l| l.starts_with("PyTorch — requirements.txt:1 requires torch")),
            "{labels:?}"
        );
        assert!(
            labels
                .iter()
                .any(|l| l.starts_with("JAX — requirements.txt:2 requires jax")),
            "{labels:?}"
        );
        // The plan's pick is highlighted, but nothing is chosen for the user.
        let planned = a.plan_ok().unwrap().framework.clone();
        assert_eq!(
            a.opts[a.cursor].value,
            mlcontain::tui::form::Value::Framework(planned)
        );
        assert_eq!(a.choices.framework, None);
        insta::assert_snapshot!(format!("ambiguous_framework_{w}x{h}"), screen);
        assert!(
            a.summary_text().contains("two close in the code"),
            "{}",
            a.summary_text()
        );
    }
}

/// The Stages step shows the entry point candidates the scan found, with
/// the detector's reason, and changes the training command.
#[test]
fn entry_points_are_shown_with_reasons_and_can_be_changed() {
    use mlcontain::choices::{EntryChoice, Stage};
    use mlcontain::tui::form::{Field, Value};
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app_for("torch-jax-close");
        a.goto_step(Step::Stages);
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(a.current_field(), Field::Training);
        let screen = draw(&mut a, w, h);
        assert!(
            screen.contains("why: train.py — training: trains"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("entry_points_training_{w}x{h}"), screen);
        let labels: Vec<&str> = a.opts.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            labels,
            ["train.py", "jax_fit.py", "none — no training service"],
            "{labels:?}"
        );
        // Another candidate: the training command follows.
        a.cursor = 1;
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(
            a.choices.training,
            Some(EntryChoice::Path("jax_fit.py".into()))
        );
        let p = a.plan_ok().unwrap();
        assert!(
            p.training_cmd.iter().any(|w| w == "jax_fit.py"),
            "{:?}",
            p.training_cmd
        );
        assert!(a.summary_text().contains("Training runs    jax_fit.py"));
        // Inference: no server in the code, so none is the plan's; back to
        // training and choose none: no training stage, said so.
        assert_eq!(a.current_field(), Field::Inference);
        assert_eq!(
            a.opts[a.cursor].value,
            Value::Entry(EntryChoice::Off),
            "{:?}",
            a.opts
        );
        a.handle(Event::Key(KeyEvent::from(KeyCode::Esc)));
        let none = a
            .opts
            .iter()
            .position(|o| o.value == Value::Entry(EntryChoice::Off))
            .unwrap();
        a.cursor = none;
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        let p = a.plan_ok().unwrap();
        assert!(!p.has(Stage::Training), "{:?}", p.stages);
        assert!(
            p.explanations
                .iter()
                .any(|e| e.text == "no training stage: chosen (--training none)."),
            "{:?}",
            p.explanations
        );
        let cmd = mlcontain::fixes::init_command(&a.choices);
        assert!(cmd.contains("--training none"), "{cmd}");
    }
}

/// own-dockerfile on a host without a GPU, the project's Dockerfile on disk.
fn own_dockerfile_app(choices: mlcontain::choices::Choices) -> App {
    let dir = fixture("own-dockerfile");
    let facts = Facts {
        project: scan(&dir).unwrap(),
        ..scenarios::no_gpu()
    };
    let mut disk = BTreeMap::new();
    disk.insert(
        "Dockerfile".to_string(),
        Some(std::fs::read_to_string(dir.join("Dockerfile")).unwrap()),
    );
    let mut a = App::new(facts, Pending::default(), choices, disk);
    a.color = false;
    a
}

/// A project with its own Dockerfile: the Stages step asks whether to keep
/// it or generate one (generate unless mlcontain.yaml saved keep). Keeping
/// it changes the plan (no Dockerfile among the files, `keep_dockerfile:
/// true` saved, compose builds its stages) and Review's summary says so.
#[test]
fn own_dockerfile_keep_or_generate() {
    use mlcontain::tui::form::{Field, Value};
    let mut a = own_dockerfile_app(Default::default());
    assert!(a.fields_of(Step::Stages).contains(&Field::KeepDockerfile));
    a.goto_step(Step::Stages);
    while a.current_field() != Field::KeepDockerfile {
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
        assert_eq!(a.step, Step::Stages, "Stages asks it");
    }
    assert_eq!(a.opts[a.cursor].value, Value::Bool(false), "generate first");
    assert!(a.tab_names().iter().any(|t| t == "Dockerfile"));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("keep: your Dockerfile stays"), "{screen}");
        insta::assert_snapshot!(format!("keep_dockerfile_{w}x{h}"), screen);
    }
    a.cursor = a
        .opts
        .iter()
        .position(|o| o.value == Value::Bool(true))
        .unwrap();
    a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(a.choices.keep_dockerfile, Some(true));
    assert_eq!(a.step, Step::Runtime);
    let p = a.plan_ok().unwrap();
    assert_eq!(
        p.code.kept_dockerfile.as_deref(),
        Some(&["base".to_string(), "training".to_string()][..])
    );
    let tabs = a.tab_names();
    assert!(!tabs.iter().any(|t| t == "Dockerfile"), "{tabs:?}");
    let saved = a
        .files
        .iter()
        .find(|f| f.file.path == "mlcontain.yaml")
        .unwrap();
    assert!(
        saved.file.contents.contains("keep_dockerfile: true"),
        "{}",
        saved.file.contents
    );
    let compose = a
        .files
        .iter()
        .find(|f| f.file.path == "compose.yaml")
        .unwrap();
    // The kept Dockerfile has no dev stage: compose builds its last stage.
    assert!(
        compose.file.contents.contains("dev:") && !compose.file.contents.contains("target: dev"),
        "{}",
        compose.file.contents
    );
    a.goto_step(Step::Review);
    let summary = a.summary_text();
    assert!(
        summary.contains("Dockerfile       the project's, kept (stages: base, training)"),
        "{summary}"
    );
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("the project's, kept"), "{screen}");
    assert!(!screen.contains("Dockerfile  new"), "{screen}");

    // Generating instead: the Dockerfile is back among the files, and Review says so.
    let mut g = own_dockerfile_app(Default::default());
    g.goto_step(Step::Review);
    assert!(
        g.summary_text().contains("Dockerfile       generated"),
        "{}",
        g.summary_text()
    );
    assert!(g.files.iter().any(|f| f.file.path == "Dockerfile"));
    let compose = g
        .files
        .iter()
        .find(|f| f.file.path == "compose.yaml")
        .unwrap();
    assert!(
        compose.file.contents.contains("target: dev"),
        "{}",
        compose.file.contents
    );

    // A saved keep_dockerfile: true is the default the question opens on.
    let mut s = own_dockerfile_app(mlcontain::choices::Choices {
        keep_dockerfile: Some(true),
        ..Default::default()
    });
    s.goto_step(Step::Stages);
    while s.current_field() != Field::KeepDockerfile {
        s.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    }
    assert_eq!(
        s.opts[s.cursor].value,
        Value::Bool(true),
        "the saved answer"
    );
    // Without a Dockerfile of its own the question is not asked.
    assert!(!app()
        .fields_of(Step::Stages)
        .contains(&Field::KeepDockerfile));
}

/// Kubernetes with an inference stage: the Runtime step also asks the
/// serving flavour; KServe adds the InferenceService manifest, keeps the
/// training flavour chosen before, and Review's summary lists both.
#[test]
fn kubernetes_serving_offers_kserve() {
    use mlcontain::choices::{DeployTarget, K8sFlavour};
    use mlcontain::tui::form::{Field, Value};
    let mut a = app();
    a.goto_step(Step::Runtime);
    assert!(!a.fields_of(Step::Runtime).contains(&Field::K8sServing));
    while a.current_field() != Field::Deploy {
        a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    }
    a.cursor = a
        .opts
        .iter()
        .position(|o| {
            o.value == Value::Deploy(vec![DeployTarget::Compose, DeployTarget::Kubernetes])
        })
        .unwrap();
    a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(a.current_field(), Field::K8sFlavour);
    a.cursor = a
        .opts
        .iter()
        .position(|o| o.value == Value::Flavours(vec![K8sFlavour::Jobset]))
        .unwrap();
    a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(a.current_field(), Field::K8sServing);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&mut a, w, h);
        assert!(screen.contains("KServe InferenceService"), "{screen}");
        insta::assert_snapshot!(format!("k8s_serving_{w}x{h}"), screen);
    }
    assert!(!a
        .tab_names()
        .iter()
        .any(|t| t.ends_with("inferenceservice.yaml")));
    a.cursor = a
        .opts
        .iter()
        .position(|o| o.value == Value::Flavours(vec![K8sFlavour::Kserve]))
        .unwrap();
    a.handle(Event::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(
        a.choices.k8s_flavours,
        Some(vec![K8sFlavour::Jobset, K8sFlavour::Kserve]),
        "the training flavour stays"
    );
    assert_eq!(a.current_field(), Field::Nodes);
    let tabs = a.tab_names();
    assert!(
        tabs.iter()
            .any(|t| t == "deploy/k8s/flavours/inferenceservice.yaml"),
        "{tabs:?}"
    );
    a.goto_step(Step::Review);
    let summary = a.summary_text();
    assert!(
        summary.contains("Kubernetes       Indexed Job + JobSet + KServe InferenceService"),
        "{summary}"
    );
    // Every flavour the CLI accepts is offered by one of the two questions.
    let offered: Vec<K8sFlavour> = mlcontain::tui::form::flavour_options()
        .into_iter()
        .chain(mlcontain::tui::form::serving_options())
        .flat_map(|(_, f)| f)
        .collect();
    for name in ["jobset", "pytorchjob", "kserve"] {
        let f: K8sFlavour = name.parse().unwrap();
        assert!(offered.contains(&f), "{name} is not offered");
    }
}
