//! Renderers: `render(&Plan) -> files`. Pure and deterministic: the same
//! plan always gives the same bytes.

pub mod bake;
mod compose;
pub mod context;
mod dockerfile;
mod dockerignore;
pub mod encode;
pub mod file;
pub mod fleet;
pub mod k8s;
mod readme;
mod scaffold;
pub mod slurm;

use crate::plan::Plan;

pub use compose::render_compose;
pub use dockerfile::render_dockerfile;
pub use dockerignore::{context_report, render_dockerignore, ContextReport};
pub use file::{FileKind, GeneratedFile};
pub use readme::render_readme;

pub const DOCKERFILE: &str = "Dockerfile";
pub const COMPOSE: &str = "compose.yaml";
pub const DOCKERIGNORE: &str = ".dockerignore";
pub const README: &str = "README.Docker.md";
pub const CONFIG: &str = "mlcontain.yaml";

/// Every file of the plan: the generated ones first, then the scaffolds.
pub fn render(plan: &Plan) -> Vec<GeneratedFile> {
    let gen = |path: &str, contents: String| GeneratedFile {
        path: path.to_string(),
        contents,
        kind: FileKind::Generated,
    };
    let mut files = vec![];
    // A kept Dockerfile is the user's: never written.
    if plan.code.kept_dockerfile.is_none() {
        files.push(gen(DOCKERFILE, render_dockerfile(plan)));
    }
    files.extend([
        gen(&plan.code.compose_file, render_compose(plan)),
        gen(DOCKERIGNORE, render_dockerignore(plan)),
        gen(README, render_readme(plan)),
        gen(CONFIG, plan.saved.to_yaml()),
    ]);
    for (path, contents) in k8s::render_k8s(plan) {
        files.push(gen(&path, contents));
    }
    for s in &plan.scaffold {
        files.push(GeneratedFile {
            path: s.path.clone(),
            contents: scaffold::render_scaffold(plan, s),
            kind: FileKind::Scaffold,
        });
    }
    files
}
