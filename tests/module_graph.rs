//! The files of src/ import each other in one direction only: no cycle in
//! the graph whose edges are `crate::`/`super::`/`self::` paths (resolved to
//! the file of the deepest module they name) plus "parent declares child"
//! (`mod x;`). A child that uses its parent's items while the parent
//! declares it is a cycle: shared helpers belong in a sibling.
//!
//! The scanner skips comments, strings and char literals, and treats paths
//! inside inline modules (`mod tests { use super::*; }`) as the file's own.
//!
//! On the same graph: the layers hold (the core and detection below the use
//! cases, the use cases below the front ends and the commands; no import
//! goes up), and no command imports another.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every module file of the library: module path -> file.
fn module_files(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    out.insert(vec![], src.join("lib.rs"));
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap();
            let mut parts: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            if parts.last().map(String::as_str) == Some("mod") {
                parts.pop();
            }
            out.insert(parts, p);
        }
    }
    out
}

/// Source text with comments, strings and char literals blanked out.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
            continue;
        }
        // Raw strings: r"..", r#".."#, br"..".
        if (c == 'r' || (c == 'b' && next == Some('r')))
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&'"') {
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
                continue;
            }
        }
        if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
            continue;
        }
        if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
                continue;
            }
            if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expands `a::b::{c, d::{e, f}}` from position `i` into full paths.
fn parse_tree(
    chars: &[char],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            i += 1;
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    return i + 1;
                }
                i = parse_tree(chars, i, &path, out);
            }
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if start == i {
            // `*` or end of path.
            if i < chars.len() && chars[i] == '*' {
                i += 1;
            }
            out.push(path);
            return i;
        }
        path.push(chars[start..i].iter().collect());
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
            i = j + 2;
            continue;
        }
        // ` as name`: the alias does not change the target.
        out.push(path);
        return i;
    }
}

/// The modules a file's paths name, resolved against the module tree.
fn uses(file_mod: &Module, code: &str, modules: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = BTreeSet::new();
    // Inline module nesting: brace depth at which each `mod name {` opened.
    let mut inline: Vec<(String, usize)> = vec![];
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            while inline.last().is_some_and(|(_, d)| *d > depth) {
                inline.pop();
            }
        }
        let word_start = i == 0 || !is_ident(chars[i - 1]);
        if word_start {
            let rest: String = chars[i..(i + 8).min(chars.len())].iter().collect();
            if rest.starts_with("mod ") {
                let mut j = i + 4;
                let s = j;
                while j < chars.len() && is_ident(chars[j]) {
                    j += 1;
                }
                let name: String = chars[s..j].iter().collect();
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&'{') {
                    inline.push((name, depth + 1));
                }
            }
            for root in ["crate::", "super::", "self::"] {
                // Unit tests (`mod tests { ... }`) are not part of the build.
                if !rest.starts_with(root) || inline.iter().any(|(n, _)| n == "tests") {
                    continue;
                }
                // The module the path is written in (inline modules included).
                let mut here = file_mod.clone();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut paths = vec![];
                parse_tree(&chars, i, &[], &mut paths);
                for p in paths {
                    let mut target: Module = vec![];
                    let mut segs = p.iter().peekable();
                    match segs.peek().map(|s| s.as_str()) {
                        Some("crate") => {
                            segs.next();
                        }
                        _ => {
                            target = here.clone();
                            while let Some(s) = segs.peek() {
                                match s.as_str() {
                                    "super" => {
                                        target.pop();
                                        segs.next();
                                    }
                                    "self" => {
                                        segs.next();
                                    }
                                    _ => break,
                                }
                            }
                        }
                    }
                    for s in segs {
                        target.push(s.clone());
                    }
                    // The deepest module file the path names.
                    while !target.is_empty() && !modules.contains_key(&target) {
                        target.pop();
                    }
                    if &target != file_mod {
                        out.insert(target);
                    }
                }
                break;
            }
        }
        i += 1;
    }
    out
}

fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = module_files(&src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, path) in &modules {
        let code = code_only(&fs::read_to_string(path).unwrap());
        let mut e = uses(m, &code, &modules);
        // The parent declares each child file.
        for child in modules.keys() {
            if child.len() == m.len() + 1 && child.starts_with(m) {
                e.insert(child.clone());
            }
        }
        edges.insert(m.clone(), e);
    }
    edges
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// A cycle through `start`, if any (DFS).
fn cycle_from(start: &Module, edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for n in edges.get(&m).into_iter().flatten() {
            if n == start {
                let mut p = path.clone();
                p.push(n.clone());
                return Some(p);
            }
            if seen.insert(n.clone()) {
                let mut p = path.clone();
                p.push(n.clone());
                stack.push((n.clone(), p));
            }
        }
    }
    None
}

/// Every module reachable from `start`.
fn reachable(start: &Module, edges: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeSet<Module> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start.clone()];
    while let Some(m) = stack.pop() {
        for n in edges.get(&m).into_iter().flatten() {
            if seen.insert(n.clone()) {
                stack.push(n.clone());
            }
        }
    }
    seen
}

/// The strongly connected components with more than one file (or a file
/// that reaches itself): each is a set of files importing each other.
fn cycle_groups(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<BTreeSet<Module>> {
    let reach: BTreeMap<&Module, BTreeSet<Module>> =
        edges.keys().map(|m| (m, reachable(m, edges))).collect();
    let mut groups: Vec<BTreeSet<Module>> = vec![];
    for (m, r) in &reach {
        if !r.contains(*m) || groups.iter().any(|g| g.contains(*m)) {
            continue;
        }
        let group: BTreeSet<Module> = r
            .iter()
            .filter(|n| reach.get(n).is_some_and(|back| back.contains(*m)))
            .cloned()
            .collect();
        groups.push(group);
    }
    groups
}

#[test]
fn no_import_cycle_between_files() {
    let edges = graph();
    let mut cycles = vec![];
    for group in cycle_groups(&edges) {
        let names: BTreeSet<String> = group.iter().map(name).collect();
        let start = group.iter().next().cloned().unwrap_or_default();
        let path = cycle_from(&start, &edges).unwrap_or_default();
        cycles.push(format!(
            "{} (e.g. {})",
            names.into_iter().collect::<Vec<_>>().join(", "),
            path.iter().map(name).collect::<Vec<_>>().join(" -> ")
        ));
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The layers above the use cases (`src/usecase`): the flags (`cli`), the
/// two wizards (`prompt`, `tui`) and the commands. Each row: a top-level
/// module and the modules (with their children) it must not import; the
/// wizards return an outcome and write and build nothing themselves.
/// The use cases import none of the four, and what is below them (the
/// core, detection, the Docker engine) not the use cases either.
const ABOVE_USECASES: &[(&str, &[&str])] = &[
    ("cli", &["commands", "prompt", "tui"]),
    (
        "prompt",
        &[
            "cli",
            "commands",
            "usecase::apply",
            "usecase::build",
            "usecase::bake",
        ],
    ),
    (
        "tui",
        &[
            "cli",
            "commands",
            "prompt",
            "usecase::apply",
            "usecase::build",
            "usecase::bake",
        ],
    ),
    ("commands", &[]),
];

/// Edges that go up a layer: from below the front ends to one of them, from
/// below the use cases to them, or between front ends against
/// [`ABOVE_USECASES`].
fn layer_violations(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    let top = |m: &Module| m.first().cloned().unwrap_or_default();
    let front: BTreeSet<&str> = ABOVE_USECASES.iter().map(|(m, _)| *m).collect();
    let mut out = vec![];
    for (from, targets) in edges {
        // The crate root declares every module.
        if from.is_empty() {
            continue;
        }
        let f = top(from);
        let forbidden: Vec<&str> = match ABOVE_USECASES.iter().find(|(m, _)| *m == f) {
            Some((_, no)) => no.to_vec(),
            None if f == "usecase" => front.iter().copied().collect(),
            // Below the use cases: none of them either.
            None => front.iter().copied().chain(["usecase"]).collect(),
        };
        for t in targets {
            let n = name(t);
            let under = |f: &&str| n == *f || n.starts_with(&format!("{f}::"));
            if forbidden.iter().any(under) {
                out.push(format!("{} imports {n}", name(from)));
            }
        }
    }
    out
}

/// `commands::X` importing `commands::Y` (or `commands` itself): what two
/// commands share belongs in the use-case layer.
fn command_cross_imports(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<String> {
    let mut out = vec![];
    for (from, targets) in edges {
        if from.len() < 2 || from[0] != "commands" {
            continue;
        }
        for t in targets {
            if t.first().map(String::as_str) == Some("commands") && t.get(1) != from.get(1) {
                out.push(format!("{} imports {}", name(from), name(t)));
            }
        }
    }
    out
}

#[test]
fn no_import_goes_up_a_layer() {
    let bad = layer_violations(&graph());
    assert!(bad.is_empty(), "imports up a layer:\n{}", bad.join("\n"));
}

#[test]
fn no_command_imports_another_command() {
    let bad = command_cross_imports(&graph());
    assert!(
        bad.is_empty(),
        "commands importing commands:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_layer_checks_see_a_violation() {
    let m = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    edges.insert(vec![], [m("cli"), m("usecase")].into());
    edges.insert(m("usecase::session"), [m("tui::form"), m("plan")].into());
    edges.insert(m("tui"), [m("usecase::session"), m("cli")].into());
    edges.insert(m("prompt"), [m("tui::form"), m("usecase::prepare")].into());
    edges.insert(m("tui::app"), [m("usecase::apply")].into());
    edges.insert(
        m("plan::python"),
        [m("usecase::session"), m("version")].into(),
    );
    edges.insert(
        m("commands::verify"),
        [m("commands::verify::inner"), m("commands::build"), m("cli")].into(),
    );
    edges.insert(m("commands"), [m("commands::verify")].into());
    assert_eq!(
        layer_violations(&edges),
        vec![
            "plan::python imports usecase::session",
            "tui imports cli",
            "tui::app imports usecase::apply",
            "usecase::session imports tui::form"
        ]
    );
    assert_eq!(
        command_cross_imports(&edges),
        vec!["commands::verify imports commands::build"]
    );
}

#[test]
fn the_scanner_sees_child_to_parent_and_group_paths() {
    let mut modules = BTreeMap::new();
    for m in [
        vec![],
        vec!["a".to_string()],
        vec!["a".into(), "b".into()],
        vec!["c".into()],
    ] {
        modules.insert(m, PathBuf::new());
    }
    let b = vec!["a".to_string(), "b".to_string()];
    let code = code_only(
        "use super::X;\nuse crate::{c::Y, a::b::Z};\n// use crate::nothing;\nconst S: &str = \"crate::c\";\nmod tests { use super::*; }\n",
    );
    let got = uses(&b, &code, &modules);
    let want: BTreeSet<Module> = [vec!["a".to_string()], vec!["c".to_string()]].into();
    assert_eq!(got, want);
    // A parent that declares `b` while `b` uses it is a cycle.
    let mut edges = BTreeMap::new();
    edges.insert(vec!["a".to_string()], [b.clone()].into());
    edges.insert(b.clone(), got);
    assert!(cycle_from(&b, &edges).is_some());
}
