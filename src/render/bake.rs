//! `docker-bake.hcl`: one bake target per stage of the plan, tagged for the
//! registry, with a registry build cache and the build's platforms. Built
//! as an HCL document with `hcl-rs` (never by pasting strings together).
//!
//! Pure: the text depends only on the plan and the [`BakeSpec`].

use crate::choices::DeployTarget;
use crate::plan::Plan;
use hcl::expr::{Expression, TemplateExpr};
use hcl::{Attribute, Block, Body};

pub const BAKE: &str = "docker-bake.hcl";

/// What the bake file needs beyond the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BakeSpec {
    /// Default image name prefix (`<project>-<target>`, as `mlcontain build`
    /// tags); the `PROJECT` variable overrides it.
    pub project: String,
    /// Push/cache registry (`HOST/PATH`): tags and the build cache live there.
    pub registry: Option<String>,
    /// `linux/amd64`, `linux/arm64`, ...
    pub platforms: Vec<String>,
}

/// One piece of an HCL template string.
enum Part<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// A quoted HCL template from literal text and `${VAR}` references; the
/// literals are escaped so they never start an interpolation.
fn template(parts: &[Part]) -> Expression {
    let mut raw = String::new();
    for p in parts {
        match p {
            Part::Var(v) => {
                raw.push_str("${");
                raw.push_str(v);
                raw.push('}');
            }
            Part::Lit(t) => {
                let mut chars = t.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => raw.push_str("\\\""),
                        '\\' => raw.push_str("\\\\"),
                        '\n' => raw.push_str("\\n"),
                        '$' | '%' if chars.peek() == Some(&'{') => {
                            raw.push(c);
                            raw.push(c);
                        }
                        c => raw.push(c),
                    }
                }
            }
        }
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(raw)))
}

fn strings(items: &[String]) -> Expression {
    Expression::Array(
        items
            .iter()
            .map(|s| Expression::String(s.clone()))
            .collect(),
    )
}

fn variable(name: &str, default: &str) -> Block {
    Block::builder("variable")
        .add_label(name)
        .add_attribute(Attribute::new(
            "default",
            Expression::String(default.to_string()),
        ))
        .build()
}

/// The image reference of a target: `[${REGISTRY}/]${PROJECT}-<target>:${TAG}`.
fn image_ref(registry: bool, target: &str) -> Expression {
    let suffix = format!("-{target}:");
    let mut parts = vec![];
    if registry {
        parts.push(Part::Var("REGISTRY"));
        parts.push(Part::Lit("/"));
    }
    parts.extend([Part::Var("PROJECT"), Part::Lit(&suffix), Part::Var("TAG")]);
    template(&parts)
}

fn cache_ref(target: &str, to: bool) -> Expression {
    let tail = format!("-cache:{target}{}", if to { ",mode=max" } else { "" });
    template(&[
        Part::Lit("type=registry,ref="),
        Part::Var("REGISTRY"),
        Part::Lit("/"),
        Part::Var("PROJECT"),
        Part::Lit(&tail),
    ])
}

/// Whether the plan gets a docker-bake.hcl.
pub fn writes_bake(plan: &Plan) -> bool {
    plan.saved.bake == Some(true)
        || plan.deploy.has(DeployTarget::Kubernetes)
        || plan.deploy.has(DeployTarget::Slurm)
}

/// `docker-bake.hcl`.
pub fn render_bake(plan: &Plan, spec: &BakeSpec) -> String {
    let registry = spec.registry.as_deref().map(|r| r.trim_end_matches('/'));
    let mut body = Body::builder();
    if let Some(r) = registry {
        body = body.add_block(variable("REGISTRY", r));
    }
    body = body
        .add_block(variable("PROJECT", &spec.project))
        .add_block(variable("TAG", "latest"));
    let targets: Vec<String> = plan.stages.iter().map(|s| s.as_str().to_string()).collect();
    body = body.add_block(
        Block::builder("group")
            .add_label("default")
            .add_attribute(Attribute::new("targets", strings(&targets)))
            .build(),
    );
    for t in &targets {
        let mut b = Block::builder("target")
            .add_label(t.as_str())
            .add_attribute(Attribute::new("context", "."))
            .add_attribute(Attribute::new("dockerfile", "Dockerfile"))
            .add_attribute(Attribute::new("target", t.as_str()))
            .add_attribute(Attribute::new(
                "tags",
                Expression::Array(vec![image_ref(registry.is_some(), t)]),
            ))
            .add_attribute(Attribute::new("platforms", strings(&spec.platforms)));
        if registry.is_some() {
            b = b
                .add_attribute(Attribute::new(
                    "cache-from",
                    Expression::Array(vec![cache_ref(t, false)]),
                ))
                .add_attribute(Attribute::new(
                    "cache-to",
                    Expression::Array(vec![cache_ref(t, true)]),
                ));
        }
        body = body.add_block(b.build());
    }
    let body = body.build();
    let mut s = String::new();
    s.push_str(
        "# Generated by mlcontain from mlcontain.yaml; regenerate with `mlcontain init --yes`.\n",
    );
    s.push_str("# Every target of the Dockerfile, for CI and fleets:\n");
    s.push_str("#   mlcontain build --bake            (docker buildx bake)\n");
    if registry.is_some() {
        s.push_str(
            "#   mlcontain build --bake --push     (docker buildx bake --push: images and the\n",
        );
        s.push_str("#                                      registry build cache go to REGISTRY)\n");
    }
    s.push_str("# Variables (environment overrides them): ");
    if registry.is_some() {
        s.push_str("REGISTRY, ");
    }
    s.push_str("PROJECT, TAG.\n");
    if spec.platforms.len() > 1 {
        s.push_str(&format!(
            "# Several platforms ({}) need an engine that stores multi-platform images\n\
             # (the containerd image store, or a docker-container builder) and base images\n\
             # published for each platform.\n",
            spec.platforms.join(", ")
        ));
    }
    if registry.is_none() {
        s.push_str(
            "# A registry build cache needs a registry: `mlcontain init --registry HOST/PATH`.\n",
        );
    }
    s.push('\n');
    s.push_str(&hcl::to_string(&body).expect("an HCL body serialises"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_never_interpolate() {
        let e = template(&[Part::Lit("a${b}%{c}\"\\"), Part::Var("TAG")]);
        match e {
            Expression::TemplateExpr(t) => match *t {
                TemplateExpr::QuotedString(s) => assert_eq!(s, "a$${b}%%{c}\\\"\\\\${TAG}"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
