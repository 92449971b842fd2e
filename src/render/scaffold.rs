//! Starting points for a fresh repository: a dependency manifest that pins the
//! framework build the planner chose, and minimal entry points (the Python is
//! `assets/scripts/scaffold/*.py`). Written only when the file is missing.

use crate::facts::PackageManager;
use crate::plan::{split_requirement, Plan, Scaffold, ScaffoldKind};
use crate::scripts::{fill, scaffold};

pub fn render_scaffold(plan: &Plan, s: &Scaffold) -> String {
    match s.kind {
        ScaffoldKind::Manifest => match plan.package_manager {
            PackageManager::Pip => requirements(plan),
            PackageManager::Uv => pyproject_uv(plan),
            PackageManager::Poetry => pyproject_poetry(plan),
            PackageManager::Conda => environment_yml(plan),
        },
        ScaffoldKind::Training => train_py(plan),
        ScaffoldKind::Inference => serve_py(plan),
    }
}

/// The framework requirement (`torch==2.5.1+cu124`) and its index, if any.
fn framework_req(plan: &Plan) -> Option<(String, Option<String>)> {
    plan.framework_requirement
        .as_ref()
        .map(|f| (f.requirement.clone(), f.index.clone()))
}

fn requirements(plan: &Plan) -> String {
    let mut s = String::from("# Dependencies (scaffolded by mlcontain: add yours below).\n");
    if let Some((req, index)) = framework_req(plan) {
        s.push_str(&format!(
            "# {} build chosen for this project's target hardware.\n",
            plan.framework_name
        ));
        if let Some(i) = index {
            s.push_str(&format!("--extra-index-url {i}\n"));
        }
        s.push_str(&req);
        s.push('\n');
    }
    if !plan.code.fresh_requirements.is_empty() {
        s.push_str("# What the code imports (unpinned: pin the versions you tested).\n");
        for r in &plan.code.fresh_requirements {
            s.push_str(r);
            s.push('\n');
        }
    }
    if !plan.code.unmapped_imports.is_empty() {
        s.push_str(&format!(
            "# Imported but not mapped to a distribution (add the right ones): {}\n",
            plan.code.unmapped_imports.join(", ")
        ));
    }
    s
}

/// A name for the framework's wheel index (`pytorch-cu124`).
fn index_name(plan: &Plan, url: &str) -> String {
    format!(
        "{}-{}",
        plan.framework,
        url.rsplit('/').next().unwrap_or("index")
    )
}

fn requires_python(plan: &Plan) -> String {
    format!(
        ">={}.{},<{}.{}",
        plan.python.major(),
        plan.python.minor(),
        plan.python.major(),
        plan.python.minor() + 1
    )
}

fn pyproject_uv(plan: &Plan) -> String {
    let mut s = format!(
        "# Scaffolded by mlcontain: add your dependencies, then run `uv lock`.\n[project]\nname = \"ml-project\"\nversion = \"0.1.0\"\nrequires-python = \"{}\"\n",
        requires_python(plan)
    );
    match framework_req(plan) {
        Some((req, index)) => {
            let r = split_requirement(&req);
            let name = match r.extras.is_empty() {
                true => r.name.clone(),
                false => format!("{}[{}]", r.name, r.extras.join(",")),
            };
            let base_version = r.version.split('+').next().unwrap_or("");
            match index {
                Some(i) => {
                    let index_name = index_name(plan, &i);
                    s.push_str(&format!("dependencies = [\"{name}=={base_version}\"]\n\n[[tool.uv.index]]\nname = \"{index_name}\"\nurl = \"{i}\"\nexplicit = true\n\n[tool.uv.sources]\n{name} = [{{ index = \"{index_name}\" }}]\n"));
                }
                None => s.push_str(&format!("dependencies = [\"{req}\"]\n")),
            }
        }
        None => s.push_str("dependencies = []\n"),
    }
    s
}

fn pyproject_poetry(plan: &Plan) -> String {
    let mut s = format!(
        "# Scaffolded by mlcontain: add your dependencies, then run `poetry lock`.\n[tool.poetry]\nname = \"ml-project\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = []\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"~{}\"\n",
        plan.python
    );
    let mut source = String::new();
    if let Some((req, index)) = framework_req(plan) {
        let r = split_requirement(&req);
        let (name, version) = (&r.name, &r.version);
        let extras = match r.extras.is_empty() {
            true => String::new(),
            false => format!(", extras = [\"{}\"]", r.extras.join("\", \"")),
        };
        match index {
            Some(i) => {
                let index_name = index_name(plan, &i);
                s.push_str(&format!(
                    "{name} = {{ version = \"{version}\", source = \"{index_name}\"{extras} }}\n"
                ));
                source = format!(
                    "\n[[tool.poetry.source]]\nname = \"{index_name}\"\nurl = \"{i}\"\npriority = \"explicit\"\n"
                );
            }
            None => s.push_str(&format!("{name} = {{ version = \"{version}\"{extras} }}\n")),
        }
    }
    s.push_str(&source);
    s.push_str("\n[build-system]\nrequires = [\"poetry-core>=2.0\"]\nbuild-backend = \"poetry.core.masonry.api\"\n");
    s
}

fn environment_yml(plan: &Plan) -> String {
    let mut s = format!(
        "# Scaffolded by mlcontain: add your dependencies.\nname: ml-project\nchannels:\n  - conda-forge\ndependencies:\n  - python={}\n  - pip\n",
        plan.python
    );
    if let Some((req, index)) = framework_req(plan) {
        s.push_str("  - pip:\n");
        if let Some(i) = index {
            s.push_str(&format!("      - --extra-index-url {i}\n"));
        }
        s.push_str(&format!("      - \"{req}\"\n"));
    }
    s
}

fn device_probe(plan: &Plan) -> &'static str {
    match plan.framework_import.as_str() {
        "torch" => scaffold::DEVICES_TORCH,
        "tensorflow" => scaffold::DEVICES_TENSORFLOW,
        "jax" => scaffold::DEVICES_JAX,
        _ => scaffold::DEVICES_CPU,
    }
}

fn framework_version_expr(plan: &Plan) -> String {
    match plan.framework_import.as_str() {
        "" => "\"none\"".to_string(),
        m => format!("__import__(\"{m}\").__version__"),
    }
}

/// PyTorch: DDP-ready. One process (`python train.py`) or several under
/// torchrun, on one host or across nodes; ends with a barrier and
/// destroy_process_group so no rank exits while another still talks to it.
/// The others: the devices the framework sees, and a file in MODEL_DIR.
fn train_py(plan: &Plan) -> String {
    if plan.framework_import == "torch" {
        return scaffold::TRAIN_TORCH.to_string();
    }
    fill(
        scaffold::TRAIN,
        &[
            (scaffold::FRAMEWORK, &plan.framework_name),
            (scaffold::DEVICES, device_probe(plan)),
            (scaffold::VERSION, &framework_version_expr(plan)),
        ],
    )
}

/// A dependency-free HTTP server with the health route the HEALTHCHECK GETs.
fn serve_py(plan: &Plan) -> String {
    fill(
        scaffold::SERVE,
        &[
            (scaffold::FRAMEWORK, &plan.framework_name),
            (scaffold::DEVICES, device_probe(plan)),
            (scaffold::PORT, &plan.port.to_string()),
        ],
    )
}
