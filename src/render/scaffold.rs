//! Starting points for a fresh repository: a dependency manifest that pins the
//! framework build the planner chose, and minimal entry points. Written only
//! when the file is missing.

use crate::facts::PackageManager;
use crate::plan::{split_requirement, Plan, Scaffold, ScaffoldKind};

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
        "torch" => {
            "    import torch\n\n    if torch.cuda.is_available():\n        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]\n    return [\"cpu\"]\n"
        }
        "tensorflow" => {
            "    import tensorflow as tf\n\n    gpus = tf.config.list_physical_devices(\"GPU\")\n    return [g.name for g in gpus] or [\"cpu\"]\n"
        }
        "jax" => "    import jax\n\n    return [str(d) for d in jax.devices()]\n",
        "" => "    return [\"cpu\"]\n",
        _ => "    return [\"cpu\"]\n",
    }
}

fn framework_version_expr(plan: &Plan) -> String {
    match plan.framework_import.as_str() {
        "" => "\"none\"".to_string(),
        m => format!("__import__(\"{m}\").__version__"),
    }
}

fn train_py(plan: &Plan) -> String {
    if plan.framework_import == "torch" {
        return TRAIN_TORCH_PY.to_string();
    }
    format!(
        r#""""Training entry point scaffolded by mlcontain: replace it with your training code.

It prints the devices {fw} sees and writes a small file to MODEL_DIR, so the
inference service can show that the shared `models` volume works.
"""

import json
import os
import pathlib


def devices():
{probe}

def main():
    found = devices()
    version = {version}
    print(f"{fw} {{version}} sees: {{found}}", flush=True)
    model_dir = pathlib.Path(os.environ.get("MODEL_DIR", "models"))
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "model.json").write_text(json.dumps({{"devices": found, "version": version}}))
    print(f"wrote {{model_dir / 'model.json'}}")


if __name__ == "__main__":
    main()
"#,
        fw = plan.framework_name,
        probe = device_probe(plan),
        version = framework_version_expr(plan),
    )
}

fn serve_py(plan: &Plan) -> String {
    format!(
        r#""""Inference entry point scaffolded by mlcontain: replace it with your server.

A dependency-free HTTP server: GET /health answers 200 (the container's
HEALTHCHECK uses it); GET / reports the devices {fw} sees and the model
found in MODEL_DIR.
"""

import json
import os
import pathlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def devices():
{probe}

MODEL_DIR = pathlib.Path(os.environ.get("MODEL_DIR", "models"))


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {{"status": "ok"}})
        elif self.path == "/":
            model = MODEL_DIR / "model.json"
            self._send(200, {{
                "devices": devices(),
                "model": json.loads(model.read_text()) if model.exists() else None,
            }})
        else:
            self._send(404, {{"error": "not found"}})

    def log_message(self, fmt, *args):
        if self.path != "/health":
            super().log_message(fmt, *args)


def main():
    port = int(os.environ.get("PORT", "{port}"))
    print(f"serving on 0.0.0.0:{{port}}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
"#,
        fw = plan.framework_name,
        probe = device_probe(plan),
        port = plan.port,
    )
}

/// PyTorch: DDP-ready. One process (`python train.py`) or several under
/// torchrun, on one host or across nodes; ends with a barrier and
/// destroy_process_group so no rank exits while another still talks to it.
const TRAIN_TORCH_PY: &str = r#""""Training entry point scaffolded by mlcontain: replace it with your training code.

Runs as one process (`python train.py`) or as several under torchrun (one per
GPU on one host, or across nodes): it joins the process group torchrun
describes (RANK, WORLD_SIZE, LOCAL_RANK), trains a small model on random data
with DistributedDataParallel (NCCL on GPUs, gloo on CPUs) and ends cleanly
(barrier, then destroy_process_group). Rank 0 writes model.json to MODEL_DIR,
so the inference service can show that the shared `models` volume works.

Sizes come from the environment: EPOCHS, SAMPLES, FEATURES, BATCH_SIZE and
NUM_WORKERS (data-loader worker processes hand batches over in /dev/shm).
"""

import json
import os
import pathlib

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


def env_int(name, default):
    return int(os.environ.get(name, default))


class RandomData(Dataset):
    """Deterministic random samples: sample i is the same in every process."""

    def __init__(self, samples, features):
        self.samples = samples
        self.features = features

    def __len__(self):
        return self.samples

    def __getitem__(self, i):
        x = torch.randn(self.features, generator=torch.Generator().manual_seed(i))
        return x, x.sum().unsqueeze(0)


def main():
    distributed = "RANK" in os.environ  # set by torchrun
    cuda = torch.cuda.is_available()
    local_rank = env_int("LOCAL_RANK", 0)
    if cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    backend = dist.get_backend() if distributed else "none"
    print(f"rank {rank}/{world} on {device} (backend {backend})", flush=True)

    features = env_int("FEATURES", 64)
    data = RandomData(env_int("SAMPLES", 1024), features)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank) if distributed else None
    loader = DataLoader(
        data,
        batch_size=env_int("BATCH_SIZE", 32),
        sampler=sampler,
        shuffle=sampler is None,
        num_workers=env_int("NUM_WORKERS", 2),
        pin_memory=cuda,
    )
    model = torch.nn.Linear(features, 1).to(device)
    if distributed:
        model = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    for epoch in range(env_int("EPOCHS", 1)):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"rank {rank}: epoch {epoch} loss {loss.item():.4f}", flush=True)

    if distributed:
        dist.barrier()
    if rank == 0:
        model_dir = pathlib.Path(os.environ.get("MODEL_DIR", "models"))
        model_dir.mkdir(parents=True, exist_ok=True)
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        found = {"devices": names or ["cpu"], "version": torch.__version__, "world_size": world}
        (model_dir / "model.json").write_text(json.dumps(found))
        print(f"wrote {model_dir / 'model.json'}", flush=True)
    print(f"rank {rank}: done, world size {world}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
"#;
