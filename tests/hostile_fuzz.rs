//! Property tests (issue 9): the Dockerfile encoder and the manifest parsers
//! under arbitrary input, with a fixed seed and a fixed budget so CI runs
//! the same cases every time (`MLCONTAIN_FUZZ_CASES` raises the budget).
//!
//! The Dockerfile property: whatever the file names in the project, the
//! rendered Dockerfile splits into exactly the instructions a plain name
//! gives (same keywords, same order), every JSON-form argument list parses,
//! and every file name arrives in its COPY and RUN arguments byte for byte.
//! File names on Linux are bytes, but the scan skips names that are not
//! UTF-8, so arbitrary Unicode strings cover every name that can reach a
//! Dockerfile.

use mlcontain::choices::{Choices, Stage};
use mlcontain::detect::project::{
    parse_environment_yml, parse_pipfile, parse_pyproject, parse_requirements,
};
use mlcontain::facts::{Facts, PackageManager};
use mlcontain::plan::plan;
use mlcontain::render::render_dockerfile;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::time::{Duration, Instant};

const SEED: [u8; 32] = *b"mlcontain-issue-9-hostile-input!";

fn cases(default: u32) -> u32 {
    std::env::var("MLCONTAIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(n: u32) -> TestRunner {
    let config = Config {
        cases: cases(n),
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

/// One Dockerfile instruction: its keyword, its BuildKit flags, and either
/// its JSON-form arguments or its shell-form text.
#[derive(Debug, Clone, PartialEq)]
struct Instruction {
    keyword: String,
    flags: Vec<String>,
    json: Option<Vec<String>>,
    rest: String,
}

/// A small Dockerfile splitter following BuildKit's rules: `#` lines are
/// comments (also inside a continuation), a line ending in `\` continues,
/// the first word is the keyword, `--flag`s come next, and the rest is JSON
/// form when it parses as a JSON array of strings.
fn split(dockerfile: &str) -> Vec<Instruction> {
    let mut out = vec![];
    let mut pending = String::new();
    for line in dockerfile.split('\n') {
        let t = line.trim_start();
        if t.starts_with('#') || (pending.is_empty() && t.trim().is_empty()) {
            continue;
        }
        let trimmed = line.trim_end();
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        out.push(instruction(&std::mem::take(&mut pending)));
    }
    assert!(pending.is_empty(), "a continuation runs off the end");
    out
}

fn instruction(logical: &str) -> Instruction {
    let s = logical.trim_start();
    let (kw, mut rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
    let mut flags = vec![];
    loop {
        rest = rest.trim_start();
        if !rest.starts_with("--") {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        flags.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    let rest = rest.trim().to_string();
    let json = if rest.starts_with('[') {
        Some(
            serde_json::from_str::<Vec<String>>(&rest)
                .unwrap_or_else(|e| panic!("JSON form does not parse ({e}): {rest}")),
        )
    } else {
        None
    };
    Instruction {
        keyword: kw.to_uppercase(),
        flags,
        json,
        rest,
    }
}

/// POSIX `sh` word splitting for the shell-form lines mlcontain writes
/// (bare words, single quotes, backslash escapes).
fn sh_words(text: &str) -> Vec<String> {
    let mut words = vec![];
    let mut cur: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => {
                let next = chars.next().expect("a backslash at the end of a RUN line");
                cur.get_or_insert_with(String::new).push(next);
            }
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            c => {
                assert!(
                    c.is_ascii_alphanumeric() || "._-/:=+@,%&".contains(c),
                    "an unquoted `{c}` in a shell-form RUN: {text}"
                );
                cur.get_or_insert_with(String::new).push(c)
            }
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    words
}

/// The arguments of a COPY or RUN, decoded (JSON or shell form).
fn args(i: &Instruction) -> Vec<String> {
    match &i.json {
        Some(a) => a.clone(),
        None if i.keyword == "RUN" => {
            assert!(
                !i.rest.contains("<<"),
                "a here-document marker in a shell-form RUN: {}",
                i.rest
            );
            sh_words(&i.rest)
        }
        None => i.rest.split_whitespace().map(String::from).collect(),
    }
}

fn dockerfile_for(runtime: &[String], dev: &[String]) -> String {
    let mut facts = Facts::default();
    facts.project.requirements = runtime.iter().chain(dev).cloned().collect();
    let choices = Choices {
        framework: Some("none".into()),
        package_manager: Some(PackageManager::Pip),
        stages: Some(vec![Stage::Training, Stage::Inference, Stage::Dev]),
        ..Default::default()
    };
    let p = plan(&facts, &choices).expect("plan");
    render_dockerfile(&p)
}

/// Characters that have a meaning somewhere in a Dockerfile or a shell.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '\n', '\r', '\\', '"', '\'', '$', '`', '<', '>', ' ', '\t', '#', ';', '&', '|', '(',
            ')', '*', '?', '[', ']', '{', '}', '~', '!', '%', '=', ',', '-', '/', '.', '\u{1b}',
            '\u{7}', '\u{0}', '\u{85}', '\u{2028}', 'é',
        ]),
        2 => prop::char::range('a', 'z'),
        1 => any::<char>(),
    ]
}

fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(hostile_char(), 1..24).prop_map(|v| v.into_iter().collect()),
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

/// The keywords in order, a run of COPYs counted once (manifests in two
/// folders take two COPY lines, which is layout, not injection).
fn shape(instructions: &[Instruction]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for i in instructions {
        if i.keyword == "COPY" && out.last().is_some_and(|k| k == "COPY") {
            continue;
        }
        out.push(i.keyword.clone());
    }
    out
}

#[test]
fn dockerfile_instructions_survive_any_file_name() {
    let benign_runtime = vec!["requirements-a.txt".to_string()];
    let benign_dev = vec!["requirements-dev.txt".to_string()];
    let benign = shape(&split(&dockerfile_for(&benign_runtime, &benign_dev)));
    assert!(benign.iter().filter(|k| *k == "FROM").count() >= 5);

    let checked = std::cell::Cell::new(0u32);
    runner(400)
        .run(&(hostile_name(), hostile_name()), |(a, b)| {
            // A runtime manifest and a dev one (the planner tells them apart
            // by the name), as the scan would list them.
            let runtime = vec![format!("requirements-{a}.txt")];
            let dev = vec![format!("requirements-dev{}", b.replace('/', "_"))];
            let last = runtime[0].rsplit('/').next().unwrap_or("");
            if ["dev", "test", "lint", "docs"]
                .iter()
                .any(|k| last.contains(k))
            {
                return Ok(());
            }
            let df = dockerfile_for(&runtime, &dev);
            let got = split(&df);
            let keywords = shape(&got);
            prop_assert_eq!(&keywords, &benign, "instructions changed:\n{}", df);
            // Each name arrives whole: in a COPY and in a RUN's arguments.
            for name in runtime.iter().chain(&dev) {
                let copied = got
                    .iter()
                    .filter(|i| i.keyword == "COPY")
                    .any(|i| args(i).iter().any(|x| x == name));
                prop_assert!(copied, "{:?} is not copied:\n{}", name, df);
                let installed = got.iter().filter(|i| i.keyword == "RUN").any(|i| {
                    let a = args(i);
                    a.windows(2).any(|w| w[0] == "-r" && &w[1] == name)
                });
                prop_assert!(installed, "{:?} is not installed whole:\n{}", name, df);
            }
            checked.set(checked.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(
        checked.get() > cases(400) / 2,
        "only {} cases were checked",
        checked.get()
    );
}

#[test]
fn the_splitter_sees_an_injection() {
    // The splitter must be able to fail: a raw newline in a RUN line is two
    // instructions.
    let df = "FROM a\nRUN pip install -r x\nRUN touch /pwned\n";
    let kws: Vec<String> = split(df).into_iter().map(|i| i.keyword).collect();
    assert_eq!(kws, ["FROM", "RUN", "RUN"]);
    let i = instruction("RUN --mount=type=cache,target=/x [\"pip\", \"-r\", \"a\\nb\"]");
    assert_eq!(i.flags, ["--mount=type=cache,target=/x"]);
    assert_eq!(i.json.unwrap(), ["pip", "-r", "a\nb"]);
}

/// Arbitrary text through every manifest parser: no panic, and each call
/// within a deadline.
#[test]
fn manifest_parsers_take_any_text() {
    let deadline = Duration::from_secs(5);
    let text = prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("torch==2.5.1\n".to_string()),
                Just("-r ".to_string()),
                Just("--extra-index-url https://u:p@h/simple\n".to_string()),
                Just("[project]\ndependencies = [\"torch".to_string()),
                Just("dependencies:\n  - pip:\n    - ".to_string()),
                Just("{[".to_string()),
                Just("\\\n".to_string()),
                Just("\u{feff}".to_string()),
                Just("\r".to_string()),
                Just("&a [*a, *a]\n".to_string()),
                any::<String>(),
            ],
            0..30
        )
        .prop_map(|v| v.concat()),
    ];
    runner(1500)
        .run(&text, |t| {
            for (name, f) in [
                ("requirements.txt", 0),
                ("pyproject.toml", 1),
                ("environment.yml", 2),
                ("Pipfile", 3),
            ] {
                let start = Instant::now();
                match f {
                    0 => drop(parse_requirements(&t, name)),
                    1 => drop(parse_pyproject(&t, name)),
                    2 => drop(parse_environment_yml(&t, name)),
                    _ => drop(parse_pipfile(&t, name)),
                }
                prop_assert!(
                    start.elapsed() < deadline,
                    "{} took {:?}",
                    name,
                    start.elapsed()
                );
            }
            // Redaction removes every password and never panics.
            let r = mlcontain::redact::redact(&t);
            prop_assert!(
                !mlcontain::redact::has_credentials(&r),
                "{:?} -> {:?}",
                t,
                r
            );
            let safe = mlcontain::redact::terminal_safe(&t);
            prop_assert!(!safe.contains('\u{1b}'), "escape kept: {:?}", safe);
            Ok(())
        })
        .unwrap();
}
