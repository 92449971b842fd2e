//! The wizard's questions, shared by the full-screen UI and the prompt mode:
//! which steps and fields there are, which options each field offers, which
//! of those the host cannot run (and why: the planner's own message), how a
//! choice changes the answers, and how typed values are validated.
//!
//! Everything here is pure: facts and choices in, options or choices out.

use crate::catalog::Catalog;
use crate::choices::EntryChoice;
use crate::choices::{
    parse_nodes, Accel, Choices, DeployTarget, GpuCount, GpuSelection, K8sFlavour, Stage,
};
use crate::facts::code::Role;
use crate::facts::{Facts, PackageManager};
use crate::plan::{plan, Plan, PlanError, DEFAULT_PORT, DEFAULT_UID};
use crate::version::Version;

/// The wizard's steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Host,
    Framework,
    Cuda,
    Python,
    Stages,
    Runtime,
    Review,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Host,
        Step::Framework,
        Step::Cuda,
        Step::Python,
        Step::Stages,
        Step::Runtime,
        Step::Review,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Host => "Host",
            Step::Framework => "Framework",
            Step::Cuda => "CUDA",
            Step::Python => "Python & deps",
            Step::Stages => "Stages",
            Step::Runtime => "Runtime",
            Step::Review => "Review",
        }
    }

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Step::Host => &[Field::Host],
            Step::Framework => &[Field::Framework, Field::FrameworkVersion],
            Step::Cuda => &[Field::Cuda],
            Step::Python => &[Field::Python, Field::PackageManager],
            Step::Stages => &[
                Field::Stages,
                Field::Training,
                Field::Inference,
                Field::KeepDockerfile,
            ],
            Step::Runtime => &[
                Field::Port,
                Field::Uid,
                Field::Gpus,
                Field::Deploy,
                Field::K8sFlavour,
                Field::K8sServing,
                Field::Nodes,
                Field::BaseImage,
                Field::Registry,
                Field::Syntax,
                Field::AllowIncompatible,
            ],
            Step::Review => &[Field::Review],
        }
    }

    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    pub fn prev(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Step::ALL[i])
    }
}

/// One question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Host,
    Framework,
    FrameworkVersion,
    Cuda,
    Python,
    PackageManager,
    Stages,
    /// Which scanned file the training service runs (or none).
    Training,
    /// Which scanned file (server) the inference service runs (or none).
    Inference,
    /// The project's own Dockerfile: keep it, or generate mlcontain's
    /// (asked when there is one).
    KeepDockerfile,
    Port,
    Uid,
    Gpus,
    Deploy,
    /// The Kubernetes training flavours (when kubernetes is a target).
    K8sFlavour,
    /// The Kubernetes inference flavour: Deployment + Service, or also a
    /// KServe InferenceService (kubernetes and an inference stage).
    K8sServing,
    Nodes,
    BaseImage,
    Registry,
    Syntax,
    AllowIncompatible,
    Review,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Nothing to answer (the host summary): Enter continues.
    Info,
    /// Pick one option.
    Select,
    /// Toggle several options (stages).
    Multi,
    /// Type a value.
    Text,
    /// The review of the files.
    Review,
}

impl Field {
    pub fn kind(self) -> FieldKind {
        match self {
            Field::Host => FieldKind::Info,
            Field::Framework
            | Field::FrameworkVersion
            | Field::Cuda
            | Field::Python
            | Field::PackageManager
            | Field::Syntax
            | Field::Deploy
            | Field::K8sFlavour
            | Field::K8sServing
            | Field::KeepDockerfile
            | Field::Training
            | Field::Inference
            | Field::AllowIncompatible => FieldKind::Select,
            Field::Stages => FieldKind::Multi,
            Field::Port
            | Field::Uid
            | Field::Gpus
            | Field::Nodes
            | Field::BaseImage
            | Field::Registry => FieldKind::Text,
            Field::Review => FieldKind::Review,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Host => "Host",
            Field::Framework => "Framework",
            Field::FrameworkVersion => "Version",
            Field::Cuda => "CUDA",
            Field::Python => "Python",
            Field::PackageManager => "Package manager",
            Field::Stages => "Stages",
            Field::Training => "Training runs",
            Field::Inference => "Inference serves",
            Field::Port => "Inference port",
            Field::Uid => "User UID/GID",
            Field::Gpus => "GPUs (per node)",
            Field::Deploy => "Deploy to",
            Field::K8sFlavour => "Kubernetes training",
            Field::K8sServing => "Kubernetes serving",
            Field::KeepDockerfile => "Dockerfile",
            Field::Nodes => "Training nodes",
            Field::BaseImage => "Base image",
            Field::Registry => "Registry mirror",
            Field::Syntax => "Syntax line",
            Field::AllowIncompatible => "Allow incompatible",
            Field::Review => "Review",
        }
    }

    /// The question, as the prompt mode asks it.
    pub fn question(self) -> &'static str {
        match self {
            Field::Host => "Host",
            Field::Framework => "Framework:",
            Field::FrameworkVersion => "Framework version:",
            Field::Cuda => "CUDA (or CPU):",
            Field::Python => "Python version:",
            Field::PackageManager => "Package manager:",
            Field::Stages => "Stages (image targets):",
            Field::Training => "Training entry point:",
            Field::Inference => "Inference entry point (the server):",
            Field::Port => "Inference port:",
            Field::Uid => "UID/GID of the non-root user:",
            Field::Gpus => "GPUs the services reserve per node (all, a count, or ids 0,1):",
            Field::Deploy => "Where it runs (compose is always written):",
            Field::K8sFlavour => "Kubernetes training manifests (besides the Indexed Job):",
            Field::K8sServing => "Kubernetes inference manifests:",
            Field::KeepDockerfile => "The project has a Dockerfile: keep it, or generate one?",
            Field::Nodes => "Training nodes (kubernetes/slurm):",
            Field::BaseImage => "Runtime base image (empty: the planner's):",
            Field::Registry => "Registry/mirror prefix for every image (empty: none):",
            Field::Syntax => "Emit `# syntax=docker/dockerfile:1`?",
            Field::AllowIncompatible => {
                "Generate choices this host cannot run (for another machine)?"
            }
            Field::Review => "Review",
        }
    }

    /// One line of help under the field.
    pub fn help(self) -> &'static str {
        match self {
            Field::Host => "What mlcontain found. Enter to continue; the choices adapt as detection finishes.",
            Field::Framework => "The ML framework the images install.",
            Field::FrameworkVersion => "The framework release (newest first).",
            Field::Cuda => "The CUDA build of the framework, or CPU.",
            Field::Python => "The Python in the images.",
            Field::PackageManager => "How dependencies are installed.",
            Field::Stages => "Space toggles; Enter continues. Each stage is a Dockerfile target and a compose service.",
            Field::Training => "The file the training service runs: what the code scan found, best first (the reason under the list), or none.",
            Field::Inference => "The server the inference service runs: what the code scan found, best first, or none.",
            Field::Port => "The port the inference service listens on (1-65535).",
            Field::Uid => "The containers run as a non-root user with this UID/GID.",
            Field::Gpus => "`all`, a count such as 1, or device ids such as 0,1.",
            Field::Deploy => "Cluster targets add files (deploy/...) and use the same images.",
            Field::K8sFlavour => "The Indexed Job needs no operator; JobSet and PyTorchJob need theirs installed.",
            Field::K8sServing => "The Deployment and Service need nothing installed; an InferenceService needs KServe (RawDeployment mode).",
            Field::KeepDockerfile => "Keep: no Dockerfile is written; compose.yaml and README.Docker.md build the stages it has (FROM ... AS name).",
            Field::Nodes => "Nodes the training job spans; GPUs are per node. 1 on compose.",
            Field::BaseImage => "Replace the runtime base image (a private registry or mirror). Empty: the planner's.",
            Field::Registry => "Prefix every image with this registry/mirror, e.g. registry.example.com/hub.",
            Field::Syntax => "Pins the Dockerfile frontend; the build then fetches docker/dockerfile:1.",
            Field::AllowIncompatible => "Offer choices this host cannot run, with warnings (to deploy elsewhere).",
            Field::Review => "Space toggles replacing a changed file; w writes; b writes and builds.",
        }
    }

    /// The planner explanation topics shown as "why" for this field.
    pub fn topics(self) -> &'static [&'static str] {
        match self {
            Field::Host => &["cuda", "framework"],
            Field::Framework => &["framework"],
            Field::FrameworkVersion => &["framework-version"],
            Field::Cuda => &["cuda"],
            Field::Python => &["python"],
            Field::PackageManager => &["package-manager", "scaffold"],
            Field::Stages => &["scaffold", "stages"],
            Field::Training => &["training", "stages"],
            Field::Inference => &["inference", "stages"],
            Field::BaseImage | Field::Registry => &["base-image"],
            Field::Deploy | Field::Nodes | Field::K8sFlavour | Field::K8sServing => &["deploy"],
            Field::KeepDockerfile => &["compose"],
            _ => &[],
        }
    }
}

/// A value an option sets.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Framework(String),
    Version(Version),
    Accel(Accel),
    Python(Version),
    Pm(PackageManager),
    Stage(Stage),
    Bool(bool),
    Deploy(Vec<DeployTarget>),
    Flavours(Vec<K8sFlavour>),
    Entry(EntryChoice),
    /// A fix for answers that cannot be planned (the answers with it applied).
    Fix(Box<Choices>),
}

/// One option of a Select/Multi field.
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    pub label: String,
    pub value: Value,
    /// Why the option cannot be chosen (the planner's reason).
    pub disabled: Option<String>,
    /// Chosen anyway (allow-incompatible): why it will not run on this host.
    pub warning: Option<String>,
    /// `disabled` because of the host (GPU, driver), not the other answers.
    pub host: bool,
}

/// Error text of a plan failure, without the CLI's `--allow-incompatible` hint.
pub fn plan_error_text(e: &PlanError) -> String {
    match e {
        PlanError::Incompatible(m) => format!("this host cannot run it: {m}"),
        other => other.to_string(),
    }
}

/// The value the plan has for a field (what the wizard highlights).
pub fn planned(field: Field, p: &Plan) -> Option<Value> {
    Some(match field {
        Field::Framework => Value::Framework(p.framework.clone()),
        Field::FrameworkVersion => Value::Version(p.framework_version.clone()?),
        Field::Cuda => Value::Accel(match &p.cuda {
            Some(c) => Accel::Cuda(c.version.clone()),
            None => Accel::Cpu,
        }),
        Field::Python => Value::Python(p.python.clone()),
        Field::PackageManager => Value::Pm(p.package_manager),
        Field::Syntax => Value::Bool(p.syntax),
        Field::Deploy => Value::Deploy(p.deploy.targets.clone()),
        Field::K8sFlavour | Field::K8sServing => {
            Value::Flavours(flavours_of(field, &p.deploy.k8s_flavours))
        }
        Field::KeepDockerfile => Value::Bool(p.code.kept_dockerfile.is_some()),
        // A scaffolded service runs no scanned file: nothing is "planned".
        Field::Training => match (&p.code.training_entry, p.has(Stage::Training)) {
            (Some(f), _) => Value::Entry(EntryChoice::Path(f.clone())),
            (None, false) => Value::Entry(EntryChoice::Off),
            (None, true) => return None,
        },
        Field::Inference => match (&p.code.inference_entry, p.has(Stage::Inference)) {
            (Some(f), _) => Value::Entry(EntryChoice::Path(f.clone())),
            (None, false) => Value::Entry(EntryChoice::Off),
            (None, true) => return None,
        },
        _ => return None,
    })
}

/// Apply a chosen value; choices that depend on it return to the planner's
/// defaults (a new framework resets its version and CUDA; a new version resets CUDA).
pub fn apply(field: Field, choices: &Choices, value: &Value) -> Choices {
    let mut c = choices.clone();
    match (field, value) {
        (Field::Framework, Value::Framework(f)) => {
            if c.framework.as_deref() != Some(f.as_str()) {
                c.framework_version = None;
                c.cuda = None;
            }
            c.framework = Some(f.clone());
        }
        (Field::FrameworkVersion, Value::Version(v)) => {
            if c.framework_version.as_ref() != Some(v) {
                c.cuda = None;
            }
            c.framework_version = Some(v.clone());
        }
        (Field::Cuda, Value::Accel(a)) => c.cuda = Some(a.clone()),
        (Field::Python, Value::Python(v)) => c.python = Some(v.clone()),
        (Field::PackageManager, Value::Pm(p)) => c.package_manager = Some(*p),
        (Field::Syntax, Value::Bool(b)) => c.syntax = Some(*b),
        (Field::Deploy, Value::Deploy(d)) => {
            c.deploy = Some(d.clone());
            if !d.contains(&DeployTarget::Kubernetes) {
                // The flavours mean nothing without kubernetes.
                c.k8s_flavours = None;
            }
        }
        (Field::Training | Field::Inference, Value::Entry(e)) => {
            let stage = if field == Field::Training {
                Stage::Training
            } else {
                Stage::Inference
            };
            // The stage follows: none drops it, a file brings it back.
            if let Some(st) = c.stages.as_mut() {
                st.retain(|s| *s != stage);
                if *e != EntryChoice::Off {
                    st.push(stage);
                    st.sort();
                }
            }
            if field == Field::Training {
                c.training = Some(e.clone());
            } else {
                c.inference = Some(e.clone());
            }
        }
        (Field::K8sFlavour | Field::K8sServing, Value::Flavours(f)) => {
            // This field's flavours replace its own; the other field's stay.
            let mut all: Vec<K8sFlavour> = c.k8s_flavours.take().unwrap_or_default();
            all.retain(|k| !flavours_of(field, &[*k]).contains(k));
            all.extend(f.iter().copied());
            all.sort();
            all.dedup();
            c.k8s_flavours = (!all.is_empty()).then_some(all);
        }
        (Field::KeepDockerfile, Value::Bool(b)) => c.keep_dockerfile = Some(*b),
        (Field::AllowIncompatible, Value::Bool(b)) => c.allow_incompatible = *b,
        (_, Value::Fix(fixed)) => c = (**fixed).clone(),
        (Field::Stages, Value::Stage(s)) => {
            let mut st = c.stages.clone().unwrap_or_else(|| Stage::ALL.to_vec());
            if let Some(i) = st.iter().position(|x| x == s) {
                st.remove(i);
            } else {
                st.push(*s);
                st.sort();
            }
            c.stages = Some(st);
        }
        _ => {}
    }
    c
}

/// Choose `value` for `field`: nothing changes when it is what the plan
/// already has (a default stays a default), otherwise [`apply`].
pub fn choose(field: Field, choices: &Choices, current: Option<&Plan>, value: &Value) -> Choices {
    if field.kind() == FieldKind::Select {
        if let Some(p) = current {
            if planned(field, p).as_ref() == Some(value) {
                return choices.clone();
            }
        }
    }
    apply(field, choices, value)
}

/// Whether the host (and the other answers) allow `value`: None when it plans,
/// else the reason. With allow-incompatible, host problems are warnings.
/// An option is never disabled for a problem the current answers have
/// without it (`base`): that blocker is elsewhere, and shown there.
fn check(
    facts: &Facts,
    choices: &Choices,
    field: Field,
    value: &Value,
    base: Option<&PlanError>,
) -> (Option<String>, Option<String>, bool) {
    let mut c = apply(field, choices, value);
    let allow = c.allow_incompatible;
    c.allow_incompatible = false;
    match plan(facts, &c) {
        Ok(_) => (None, None, false),
        Err(e) if base.is_some_and(|b| b.to_string() == e.to_string()) => (None, None, false),
        Err(PlanError::Incompatible(m)) if allow => (None, Some(m), false),
        Err(e @ PlanError::Incompatible(_)) => (Some(plan_error_text(&e)), None, true),
        Err(e) => (Some(plan_error_text(&e)), None, false),
    }
}

/// The error the current answers have (allow-incompatible off), if any.
fn base_error(facts: &Facts, choices: &Choices) -> Option<PlanError> {
    let mut c = choices.clone();
    c.allow_incompatible = false;
    plan(facts, &c).err()
}

/// What the option checks need: the facts, the answers and their own error.
struct Ctx<'a> {
    facts: &'a Facts,
    choices: &'a Choices,
    base: Option<PlanError>,
}

fn opt(cx: &Ctx, field: Field, label: String, value: Value) -> Opt {
    let (disabled, warning, host) = check(cx.facts, cx.choices, field, &value, cx.base.as_ref());
    Opt {
        label,
        value,
        disabled,
        warning,
        host,
    }
}

/// The options of a Select or Multi field, each checked against the host.
/// When the answers cannot be planned here, the framework and CUDA
/// questions also offer the fixes (each one plans).
pub fn options(field: Field, facts: &Facts, choices: &Choices, current: Option<&Plan>) -> Vec<Opt> {
    let base = if current.is_some() {
        None
    } else {
        base_error(facts, choices)
    };
    let cx = Ctx {
        facts,
        choices,
        base,
    };
    let mut out = field_options(field, &cx, current);
    if let Some(PlanError::Incompatible(why)) = &cx.base {
        // The answer the project (or the user) gave stays highlighted and
        // says why it cannot run as it is; the fixes come first.
        if let Some(want) = intended(field, facts, choices) {
            for o in out.iter_mut().filter(|o| o.value == want) {
                o.warning = Some(why.clone());
                o.disabled = None;
            }
        }
        if matches!(field, Field::Framework | Field::Cuda) {
            let fixes: Vec<Opt> = crate::fixes::fixes(facts, choices)
                .into_iter()
                .filter_map(|f| {
                    Some(Opt {
                        label: format!("→ fix: {}", f.label),
                        value: Value::Fix(Box::new(f.choices?)),
                        disabled: None,
                        warning: None,
                        host: false,
                    })
                })
                .collect();
            out.splice(0..0, fixes);
        }
    }
    out
}

/// The fixes that are edits of the project ("edit requirements.txt:3: …"),
/// shown under the framework and CUDA questions when the answers cannot be
/// planned here.
pub fn edit_notes(
    field: Field,
    facts: &Facts,
    choices: &Choices,
    current: Option<&Plan>,
) -> Vec<String> {
    if current.is_some() || !matches!(field, Field::Framework | Field::Cuda) {
        return vec![];
    }
    crate::fixes::fixes(facts, choices)
        .into_iter()
        .filter(|f| f.edit.is_some())
        .map(|f| format!("or {}", f.label))
        .collect()
}

fn field_options(field: Field, cx: &Ctx, current: Option<&Plan>) -> Vec<Opt> {
    let choices = cx.choices;
    let cat = Catalog::embedded();
    let fw_id = current
        .map(|p| p.framework.clone())
        .or_else(|| choices.framework.clone())
        .unwrap_or_else(|| "pytorch".into());
    let fw = cat.framework(&fw_id);
    match field {
        Field::Framework => {
            // Two close candidates in the code: each says why.
            let close = crate::plan::code::close_frameworks(&cx.facts.project);
            // ...and they come first, the planner's pick at the top.
            let rank = |id: &str| match &close {
                Some((a, _)) if a.id == id => 0,
                Some((_, b)) if b.id == id => 1,
                _ => 2,
            };
            let mut fws: Vec<&crate::catalog::Framework> = cat.frameworks.iter().collect();
            fws.sort_by_key(|f| rank(&f.id));
            fws.into_iter()
                .map(|f| {
                    let label = match &close {
                        Some((a, b)) if a.id == f.id || b.id == f.id => {
                            let r = if a.id == f.id { &a.reason } else { &b.reason };
                            format!("{} — {r}", f.name)
                        }
                        _ => f.name.clone(),
                    };
                    opt(cx, field, label, Value::Framework(f.id.clone()))
                })
                .collect()
        }
        Field::FrameworkVersion => fw
            .map(|f| {
                f.releases
                    .iter()
                    .rev()
                    .map(|r| {
                        opt(
                            cx,
                            field,
                            format!("{} {}", f.name, r.version),
                            Value::Version(r.version.clone()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Field::Cuda => {
            let mut versions: Vec<Version> = match fw {
                Some(f) if f.is_none() => cat.cuda.iter().map(|t| t.version.clone()).collect(),
                Some(f) => {
                    let rel = choices
                        .framework_version
                        .as_ref()
                        .and_then(|v| f.release(v));
                    f.releases
                        .iter()
                        .filter(|r| rel.map(|x| x.version == r.version).unwrap_or(true))
                        .flat_map(|r| r.builds.iter().map(|b| b.cuda.clone()))
                        .collect()
                }
                None => vec![],
            };
            versions.sort();
            versions.dedup();
            let mut out: Vec<Opt> = versions
                .into_iter()
                .rev()
                .map(|v| opt(cx, field, format!("CUDA {v}"), Value::Accel(Accel::Cuda(v))))
                .collect();
            out.push(opt(cx, field, "CPU only".into(), Value::Accel(Accel::Cpu)));
            out
        }
        Field::Python => cat
            .python_versions
            .iter()
            .rev()
            .map(|v| opt(cx, field, format!("Python {v}"), Value::Python(v.clone())))
            .collect(),
        Field::PackageManager => PackageManager::ALL
            .iter()
            .map(|p| {
                let label = match p {
                    PackageManager::Pip => "pip (requirements.txt)",
                    PackageManager::Uv => "uv (pyproject.toml + uv.lock)",
                    PackageManager::Poetry => "poetry (pyproject.toml + poetry.lock)",
                    PackageManager::Conda => "conda (environment.yml)",
                };
                opt(cx, field, label.into(), Value::Pm(*p))
            })
            .collect(),
        Field::Stages => Stage::ALL
            .iter()
            .map(|s| {
                let label = match s {
                    Stage::Training => "training — runs the training script",
                    Stage::Inference => "inference — serves the model on a port",
                    Stage::Dev => "dev — an interactive shell with dev tools",
                };
                Opt {
                    label: label.into(),
                    value: Value::Stage(*s),
                    disabled: None,
                    warning: None,
                    host: false,
                }
            })
            .collect(),
        Field::Syntax => vec![
            opt(cx, field, "no".into(), Value::Bool(false)),
            opt(
                cx,
                field,
                "yes: # syntax=docker/dockerfile:1".into(),
                Value::Bool(true),
            ),
        ],
        Field::Deploy => deploy_options()
            .into_iter()
            .map(|(label, d)| Opt {
                label: label.into(),
                value: Value::Deploy(d),
                disabled: None,
                warning: None,
                host: false,
            })
            .collect(),
        Field::Training | Field::Inference => entry_options(field, cx),
        Field::K8sFlavour | Field::K8sServing | Field::KeepDockerfile => file_options(field, cx),
        Field::AllowIncompatible => vec![
            Opt {
                label: "no: only what this host runs".into(),
                value: Value::Bool(false),
                disabled: None,
                warning: None,
                host: false,
            },
            Opt {
                label: "yes: allow, with warnings".into(),
                value: Value::Bool(true),
                disabled: None,
                warning: None,
                host: false,
            },
        ],
        _ => vec![],
    }
}

/// The options of the questions about which files are written: the
/// Kubernetes flavours and the project's own Dockerfile.
fn file_options(field: Field, cx: &Ctx) -> Vec<Opt> {
    match field {
        Field::K8sFlavour => flavour_options()
            .into_iter()
            .map(|(label, f)| opt(cx, field, label.into(), Value::Flavours(f)))
            .collect(),
        Field::K8sServing => serving_options()
            .into_iter()
            .map(|(label, f)| opt(cx, field, label.into(), Value::Flavours(f)))
            .collect(),
        Field::KeepDockerfile => vec![
            opt(
                cx,
                field,
                "generate: mlcontain writes its Dockerfile (replacing yours needs your OK in Review)"
                    .into(),
                Value::Bool(false),
            ),
            opt(
                cx,
                field,
                "keep: your Dockerfile stays; compose builds its stages".into(),
                Value::Bool(true),
            ),
        ],
        _ => vec![],
    }
}

/// The deploy combinations the wizard offers (compose is in each).
pub fn deploy_options() -> Vec<(&'static str, Vec<DeployTarget>)> {
    use DeployTarget::*;
    vec![
        ("compose — this host", vec![Compose]),
        (
            "compose + kubernetes — deploy/k8s",
            vec![Compose, Kubernetes],
        ),
        ("compose + slurm", vec![Compose, Slurm]),
        (
            "compose + kubernetes + slurm",
            vec![Compose, Kubernetes, Slurm],
        ),
    ]
}

/// The Kubernetes training flavours the wizard offers (the Indexed Job is in each).
pub fn flavour_options() -> Vec<(&'static str, Vec<K8sFlavour>)> {
    use K8sFlavour::*;
    vec![
        ("Indexed Job only (no operator needed)", vec![]),
        ("+ JobSet (jobset.x-k8s.io)", vec![Jobset]),
        (
            "+ PyTorchJob (Kubeflow training operator)",
            vec![Pytorchjob],
        ),
        ("+ JobSet and PyTorchJob", vec![Jobset, Pytorchjob]),
    ]
}

/// The Kubernetes inference flavours the wizard offers (the Deployment
/// and Service of deploy/k8s/base are in each).
pub fn serving_options() -> Vec<(&'static str, Vec<K8sFlavour>)> {
    vec![
        ("Deployment + Service only (nothing to install)", vec![]),
        (
            "+ KServe InferenceService (serving.kserve.io, needs KServe)",
            vec![K8sFlavour::Kserve],
        ),
    ]
}

/// The flavours among `all` that `field` chooses: training (JobSet,
/// PyTorchJob) or serving (KServe).
pub fn flavours_of(field: Field, all: &[K8sFlavour]) -> Vec<K8sFlavour> {
    all.iter()
        .copied()
        .filter(|k| (*k == K8sFlavour::Kserve) == (field == Field::K8sServing))
        .collect()
}

/// Most entry point candidates offered in one list.
const ENTRY_OPTIONS_MAX: usize = 8;

/// The role an entry field chooses for.
fn role_of(field: Field) -> Role {
    if field == Field::Training {
        Role::Training
    } else {
        Role::Inference
    }
}

/// The scanned candidates for a role (that role's first, best first, then
/// the others), and none.
fn entry_options(field: Field, cx: &Ctx) -> Vec<Opt> {
    let role = role_of(field);
    let code = &cx.facts.project.code;
    let mut seen: Vec<&str> = vec![];
    let mut out = vec![];
    let ranked = code
        .candidates
        .iter()
        .filter(|c| c.role == role)
        .chain(code.candidates.iter().filter(|c| c.role != role));
    for c in ranked {
        if seen.contains(&c.path.as_str()) || seen.len() >= ENTRY_OPTIONS_MAX {
            continue;
        }
        seen.push(&c.path);
        let label = if c.role == role {
            c.path.clone()
        } else {
            format!("{} ({})", c.path, c.role.as_str())
        };
        out.push(opt(
            cx,
            field,
            label,
            Value::Entry(EntryChoice::Path(c.path.clone())),
        ));
    }
    let none = if role == Role::Training {
        "none — no training service"
    } else {
        "none — no inference service"
    };
    out.push(opt(cx, field, none.into(), Value::Entry(EntryChoice::Off)));
    out
}

/// Why the code scan ranked a highlighted entry point option (its role and
/// the detector's reason).
pub fn entry_reason(field: Field, facts: &Facts, value: &Value) -> Option<String> {
    let Value::Entry(EntryChoice::Path(p)) = value else {
        return None;
    };
    let code = &facts.project.code;
    let c = code
        .candidates
        .iter()
        .find(|c| c.path == *p && c.role == role_of(field))
        .or_else(|| code.candidates.iter().find(|c| c.path == *p))?;
    Some(format!("{} — {}: {}", c.path, c.role.as_str(), c.reason))
}

/// The two frameworks the code uses about equally (the planner takes the
/// first and says so): the wizard asks, with each reason.
pub fn ambiguous_framework(facts: &Facts) -> Option<(String, String)> {
    let (a, b) = crate::plan::code::close_frameworks(&facts.project)?;
    let cat = Catalog::embedded();
    let name = |id: &str| {
        cat.framework(id)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| id.into())
    };
    Some((
        format!("{} ({})", name(&a.id), a.reason),
        format!("{} ({})", name(&b.id), b.reason),
    ))
}

/// Whether `field` is asked with these answers: the Kubernetes flavours only
/// when kubernetes is a deploy target (serving: with an inference stage);
/// the entry points when there is code; keep-or-generate the Dockerfile
/// when the project has one.
pub fn applies(field: Field, facts: &Facts, choices: &Choices, current: Option<&Plan>) -> bool {
    match field {
        Field::Training | Field::Inference => facts.project.code.python_files > 0,
        Field::K8sFlavour => kubernetes(choices, current),
        Field::K8sServing => {
            kubernetes(choices, current)
                && match current {
                    Some(p) => p.has(Stage::Inference),
                    None => choices
                        .stages
                        .as_ref()
                        .is_none_or(|s| s.contains(&Stage::Inference)),
                }
        }
        Field::KeepDockerfile => facts.project.code.dockerfile_stages.is_some(),
        _ => true,
    }
}

/// Whether kubernetes is a deploy target (of the plan, else of the answers).
fn kubernetes(choices: &Choices, current: Option<&Plan>) -> bool {
    match current {
        Some(p) => p.deploy.has(DeployTarget::Kubernetes),
        None => choices
            .deploy
            .as_ref()
            .is_some_and(|d| d.contains(&DeployTarget::Kubernetes)),
    }
}

/// The index of the option to highlight: the plan's value (or the first enabled).
pub fn default_index(
    field: Field,
    opts: &[Opt],
    facts: &Facts,
    choices: &Choices,
    current: Option<&Plan>,
) -> usize {
    let want = match field {
        Field::AllowIncompatible => Some(Value::Bool(choices.allow_incompatible)),
        _ => current
            .and_then(|p| planned(field, p))
            .or_else(|| intended(field, facts, choices)),
    };
    want.and_then(|w| opts.iter().position(|o| o.value == w))
        .or_else(|| opts.iter().position(|o| o.disabled.is_none()))
        .unwrap_or(0)
}

/// What the answers (or the project's pin) say for `field` when there is
/// no plan: the wizard keeps it highlighted instead of moving to another
/// option (a detected or saved answer is never swapped silently).
fn intended(field: Field, facts: &Facts, choices: &Choices) -> Option<Value> {
    let cat = Catalog::embedded();
    let pinned = || {
        cat.frameworks.iter().find_map(|f| {
            f.packages
                .iter()
                .find_map(|p| facts.project.pin(p))
                .map(|pin| (f, pin))
        })
    };
    match field {
        Field::Framework => choices
            .framework
            .clone()
            .or_else(|| pinned().map(|(f, _)| f.id.clone()))
            .map(Value::Framework),
        Field::FrameworkVersion => choices
            .framework_version
            .clone()
            .or_else(|| pinned().and_then(|(_, p)| p.version.as_ref().and_then(|v| v.release())))
            .map(Value::Version),
        Field::Cuda => choices.cuda.clone().map(Value::Accel),
        Field::Python => choices.python.clone().map(Value::Python),
        Field::PackageManager => choices.package_manager.map(Value::Pm),
        _ => None,
    }
}

/// Whether a Multi option is on.
pub fn is_on(choices: &Choices, current: Option<&Plan>, value: &Value) -> bool {
    match value {
        Value::Stage(s) => match &choices.stages {
            Some(st) => st.contains(s),
            None => current.map(|p| p.has(*s)).unwrap_or(true),
        },
        _ => false,
    }
}

/// The current text of a Text field (empty when the planner's default applies).
pub fn text_of(field: Field, choices: &Choices) -> String {
    match field {
        Field::Port => choices.port.map(|p| p.to_string()).unwrap_or_default(),
        Field::Uid => choices.uid.map(|p| p.to_string()).unwrap_or_default(),
        Field::Gpus => choices.gpus.as_ref().map(gpus_text).unwrap_or_default(),
        Field::Nodes => choices.nodes.map(|n| n.to_string()).unwrap_or_default(),
        Field::BaseImage => choices.base_image.clone().unwrap_or_default(),
        Field::Registry => choices.registry.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// What an empty Text field means (shown greyed out as a placeholder).
pub fn placeholder(field: Field, current: Option<&Plan>) -> String {
    match field {
        Field::Port => current.map(|p| p.port).unwrap_or(DEFAULT_PORT).to_string(),
        Field::Uid => current.map(|p| p.uid).unwrap_or(DEFAULT_UID).to_string(),
        Field::Gpus => match current {
            Some(p) if p.cuda.is_none() => "none (CPU)".into(),
            Some(p) => p
                .gpus
                .as_ref()
                .map(gpus_text)
                .unwrap_or_else(|| "all".into()),
            None => "all".into(),
        },
        Field::BaseImage => current
            .map(|p| p.images.runtime.clone())
            .unwrap_or_default(),
        Field::Registry => "none".into(),
        Field::Nodes => current.map(|p| p.deploy.nodes).unwrap_or(1).to_string(),
        _ => String::new(),
    }
}

pub fn gpus_text(g: &GpuSelection) -> String {
    match g {
        GpuSelection::Count(GpuCount::All) => "all".into(),
        GpuSelection::Count(GpuCount::N(n)) => n.to_string(),
        GpuSelection::Ids(ids) => ids.join(","),
    }
}

/// UIDs below this are system accounts' (the same bound as `init`'s
/// `--uid` check; a test asserts they agree).
pub const MIN_UID: u32 = 1000;

/// Whether `text` is a UID in the system range (refused unless allowed).
pub fn is_low_uid(text: &str) -> bool {
    text.trim()
        .parse::<u32>()
        .is_ok_and(|u| u > 0 && u < MIN_UID)
}

/// Validate typed text for a field and return the new choices. Empty text
/// returns the field to the planner's default. Errors read as sentences.
/// A UID below [`MIN_UID`] is refused unless `allow_low_uid`.
pub fn set_text(
    field: Field,
    choices: &Choices,
    facts: &Facts,
    text: &str,
    allow_low_uid: bool,
) -> Result<Choices, String> {
    let t = text.trim();
    let mut c = choices.clone();
    match field {
        Field::Port => {
            c.port = if t.is_empty() {
                None
            } else {
                match t.parse::<u16>() {
                    Ok(0) | Err(_) => return Err(format!("`{t}` is not a port: use 1-65535")),
                    Ok(p) => Some(p),
                }
            }
        }
        Field::Uid => {
            c.uid = if t.is_empty() {
                None
            } else {
                match t.parse::<u32>() {
                    Ok(0) => {
                        return Err("UID 0 is root: choose a non-root UID such as 10001".into())
                    }
                    Ok(u) if u < MIN_UID && !allow_low_uid => {
                        return Err(format!(
                            "UID {u} is in the system accounts' range (below {MIN_UID}) and can clash with a user of the base image: choose {MIN_UID} or more"
                        ))
                    }
                    Ok(u) => Some(u),
                    Err(_) => {
                        return Err(format!("`{t}` is not a UID: use a number such as 10001"))
                    }
                }
            }
        }
        Field::Gpus => {
            c.gpus = if t.is_empty() {
                None
            } else {
                Some(t.parse::<GpuSelection>()?)
            }
        }
        Field::Nodes => {
            c.nodes = if t.is_empty() {
                None
            } else {
                Some(parse_nodes(t)?)
            }
        }
        Field::BaseImage => {
            if t.chars().any(char::is_whitespace) {
                return Err("an image reference has no spaces".into());
            }
            c.base_image = (!t.is_empty()).then(|| t.to_string());
        }
        Field::Registry => {
            if t.chars().any(char::is_whitespace) {
                return Err("a registry prefix has no spaces".into());
            }
            c.registry = (!t.is_empty()).then(|| t.to_string());
        }
        _ => return Ok(c),
    }
    // The planner validates image references and the rest.
    match plan(facts, &c) {
        Ok(_) => Ok(c),
        Err(e @ PlanError::Invalid { .. }) => Err(plan_error_text(&e)),
        Err(_) => Ok(c),
    }
}

/// Validation of a stage selection.
pub fn check_stages(stages: &[Stage]) -> Result<(), String> {
    if stages.is_empty() {
        Err("choose at least one stage".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios;

    #[test]
    fn cuda_options_explain_what_the_host_cannot_run() {
        let facts = scenarios::gtx1080_470();
        let c = Choices {
            framework: Some("pytorch".into()),
            ..Default::default()
        };
        let p = plan(&facts, &c).unwrap();
        let opts = options(Field::Cuda, &facts, &c, Some(&p));
        let cu128 = opts
            .iter()
            .find(|o| o.value == Value::Accel(Accel::Cuda("12.8".parse().unwrap())))
            .unwrap();
        let why = cu128.disabled.as_deref().unwrap();
        assert!(why.contains("driver"), "{why}");
        assert!(opts.iter().any(|o| o.disabled.is_none()));
        assert_eq!(opts.last().unwrap().value, Value::Accel(Accel::Cpu));
    }

    #[test]
    fn choosing_the_planned_value_keeps_the_default() {
        let facts = scenarios::h100_535();
        let c = Choices::default();
        let p = plan(&facts, &c).unwrap();
        let v = planned(Field::Cuda, &p).unwrap();
        assert_eq!(choose(Field::Cuda, &c, Some(&p), &v), c);
        let c2 = choose(
            Field::Framework,
            &c,
            Some(&p),
            &Value::Framework("jax".into()),
        );
        assert_eq!(c2.framework.as_deref(), Some("jax"));
    }

    #[test]
    fn text_validation() {
        let f = scenarios::no_gpu();
        let c = Choices::default();
        assert!(set_text(Field::Port, &c, &f, "0", false).is_err());
        assert!(set_text(Field::Port, &c, &f, "http", false).is_err());
        assert_eq!(
            set_text(Field::Port, &c, &f, "9000", false).unwrap().port,
            Some(9000)
        );
        assert_eq!(set_text(Field::Port, &c, &f, "", false).unwrap().port, None);
        assert!(set_text(Field::Uid, &c, &f, "0", false).is_err());
        assert!(
            set_text(Field::Uid, &c, &f, "0", true).is_err(),
            "root never"
        );
        let low = set_text(Field::Uid, &c, &f, "500", false).unwrap_err();
        assert!(low.contains("below 1000"), "{low}");
        assert!(is_low_uid("500") && !is_low_uid("1000") && !is_low_uid("0"));
        assert_eq!(
            set_text(Field::Uid, &c, &f, "500", true).unwrap().uid,
            Some(500)
        );
        assert_eq!(
            set_text(Field::Uid, &c, &f, "1000", false).unwrap().uid,
            Some(1000)
        );
        assert!(set_text(Field::Gpus, &c, &f, "0", false).is_err());
        assert!(set_text(Field::BaseImage, &c, &f, "a b", false).is_err());
        assert!(set_text(Field::Nodes, &c, &f, "0", false).is_err());
        assert_eq!(
            set_text(Field::Nodes, &c, &f, "2", false).unwrap().nodes,
            Some(2)
        );
    }

    #[test]
    fn deploy_options_all_keep_compose_and_plan() {
        let facts = scenarios::no_gpu();
        let c = Choices::default();
        let p = plan(&facts, &c).unwrap();
        let opts = options(Field::Deploy, &facts, &c, Some(&p));
        assert_eq!(opts.len(), deploy_options().len());
        assert_eq!(default_index(Field::Deploy, &opts, &facts, &c, Some(&p)), 0);
        for o in &opts {
            let Value::Deploy(d) = &o.value else {
                panic!("{o:?}")
            };
            assert!(d.contains(&DeployTarget::Compose), "{o:?}");
            let c2 = choose(Field::Deploy, &c, Some(&p), &o.value);
            let p2 = plan(&facts, &c2).unwrap();
            assert_eq!(&p2.deploy.targets, d);
        }
    }
}
