//! Wizard responsiveness: re-plan + re-render + draw after a keystroke at
//! 200×60 on ratatui's TestBackend (target ≤ 5 ms p99).
//!
//! `cargo bench --bench tui` first replays 1000 keystrokes that change
//! answers (framework, Python, stages), timing each (handle + draw) and
//! printing p50/p99/max, then runs the criterion benchmarks.
//! `cargo bench --bench tui -- --p99-only` skips criterion.

use criterion::Criterion;
use crossterm::event::{KeyCode, KeyEvent};
use mlcontain::detect::project::scan;
use mlcontain::facts::Facts;
use mlcontain::scenarios;
use mlcontain::tui::app::{App, Event, Pending};
use mlcontain::tui::form::Step;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const W: u16 = 200;
const H: u16 = 60;

fn app() -> App {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pip-torch");
    let facts = Facts {
        project: scan(&dir).unwrap(),
        ..scenarios::a100_4090_550()
    };
    let mut disk = BTreeMap::new();
    disk.insert(
        "compose.yaml".to_string(),
        Some("services: {}\n".to_string()),
    );
    let mut a = App::new(facts, Pending::default(), Default::default(), disk);
    a.handle(Event::Resize(W, H));
    a
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::from(c))
}

/// A cycle of keystrokes that each change something (and so re-plan).
fn script() -> Vec<(Step, Vec<KeyCode>)> {
    use KeyCode::*;
    vec![
        // Next framework, chosen (re-plan, version options), back.
        (
            Step::Framework,
            vec![Down, Enter, Esc, Down, Enter, Esc, Home, Enter, Esc],
        ),
        // Another Python, chosen (re-plan, package-manager options), back.
        (Step::Python, vec![Down, Enter, Esc, Up, Enter, Esc]),
        // Stages toggled on and off.
        (
            Step::Stages,
            vec![Char(' '), Char(' '), Down, Char(' '), Char(' ')],
        ),
        // Preview scrolling and diff toggling.
        (
            Step::Review,
            vec![Char('d'), PageDown, Char(']'), Char('d'), PageUp, Char('[')],
        ),
    ]
}

fn p99_report() {
    let mut a = app();
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    term.draw(|f| f.render_widget(&a, f.area())).unwrap();
    let mut times: Vec<Duration> = Vec::with_capacity(1000);
    let script = script();
    'outer: loop {
        for (step, keys) in &script {
            a.goto_step(*step);
            for k in keys {
                let t = Instant::now();
                a.handle(key(*k));
                term.draw(|f| f.render_widget(&a, f.area())).unwrap();
                times.push(t.elapsed());
                if times.len() == 1000 {
                    break 'outer;
                }
            }
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "tui keystroke (handle + re-plan + re-render + draw, {W}x{H}, {} keys): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn benches(c: &mut Criterion) {
    let mut a = app();
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    a.goto_step(Step::Framework);
    c.bench_function("tui/choose framework + draw 200x60", |b| {
        b.iter(|| {
            a.handle(key(KeyCode::Down));
            a.handle(key(KeyCode::Enter));
            term.draw(|f| f.render_widget(&a, f.area())).unwrap();
            a.handle(key(KeyCode::Esc));
            if a.cursor + 1 >= a.opts.len() {
                a.handle(key(KeyCode::Home));
            }
        })
    });
    let mut a = app();
    a.goto_step(Step::Stages);
    c.bench_function("tui/toggle stage + draw 200x60", |b| {
        b.iter(|| {
            a.handle(key(KeyCode::Char(' ')));
            term.draw(|f| f.render_widget(&a, f.area())).unwrap();
        })
    });
    let a = app();
    c.bench_function("tui/draw only 200x60", |b| {
        b.iter(|| {
            term.draw(|f| f.render_widget(black_box(&a), f.area()))
                .unwrap();
        })
    });
}

fn main() {
    p99_report();
    if std::env::args().any(|a| a == "--p99-only") {
        return;
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    benches(&mut c);
    c.final_summary();
}
