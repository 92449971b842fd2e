//! What a run prints about a plan: the explanations and warnings, the entry
//! points the code scan ranked, the build context, and the error object of
//! `--json` commands.

use crate::facts::Facts;
use crate::plan::Plan;

/// The error object every `--json` command prints on stdout when it fails:
/// `{"error": {"message": "...", "exit_code": N}}`.
pub fn json_error(message: &str, exit_code: u8) -> String {
    serde_json::to_string_pretty(
        &serde_json::json!({"error": {"message": message, "exit_code": exit_code}}),
    )
    .unwrap_or_default()
}

pub fn print_explanations(plan: &Plan) {
    // Warnings quote manifests and host facts: escapes are made harmless.
    let safe = crate::redact::terminal_safe;
    println!("Why:");
    // One column for the topics, each named once.
    let width = plan
        .explanations
        .iter()
        .map(|e| e.topic.chars().count())
        .max()
        .unwrap_or(0);
    let mut last = "";
    for e in &plan.explanations {
        let topic = if e.topic == last { "" } else { e.topic };
        last = e.topic;
        println!("  {topic:<width$} {}", safe(&e.text));
    }
    for w in &plan.warnings {
        println!("  warning: {}", safe(w));
    }
}

/// The entry point candidates the code scan ranked, with their role and reason.
pub fn print_entry_points(facts: &Facts) {
    let c = &facts.project.code;
    if c.candidates.is_empty() {
        if c.python_files > 0 {
            println!(
                "Entry points: none found in {} Python file(s) (no script that trains, no server).",
                c.python_files
            );
        }
        return;
    }
    println!(
        "Entry points (from {} Python file(s), best first in each role):",
        c.python_files
    );
    for e in c.candidates.iter().take(30) {
        // File names are the repository's: escapes are made harmless.
        let safe = crate::redact::terminal_safe;
        println!(
            "  {:<10} {:<32} {}",
            e.role.as_str(),
            safe(&e.path),
            safe(&e.reason)
        );
    }
    if c.candidates.len() > 30 {
        println!("  … and {} more", c.candidates.len() - 30);
    }
}

/// What the .dockerignore keeps because the code needs it, and which of
/// the repository's files it excludes.
pub fn print_context(plan: &Plan) {
    let r = crate::render::context_report(plan);
    if !r.kept.is_empty() {
        println!("Build context: kept although a default pattern would exclude them:");
        for (f, why) in r.kept.iter().take(20) {
            println!("  {f:<40} {why}");
        }
        if r.kept.len() > 20 {
            println!("  … and {} more", r.kept.len() - 20);
        }
    }
    if !r.excluded.is_empty() {
        println!(
            "Build context: .dockerignore excludes {} of the repository's files:",
            r.excluded.len()
        );
        for (f, why) in r.excluded.iter().take(20) {
            println!("  {f:<40} {why}");
        }
        if r.excluded.len() > 20 {
            println!("  … and {} more", r.excluded.len() - 20);
        }
    }
}
