//! The Slurm target (`deploy/slurm/`): an sbatch script that runs the
//! training image through Apptainer (one torchrun per node), and the
//! Apptainer definition file that turns the built Docker image into a SIF.
//!
//! Pure: the texts depend only on the plan and the [`SlurmSpec`].

use crate::choices::{GpuCount, GpuSelection};
use crate::plan::{Plan, APP_DIR};
use crate::scripts::{fill, slurm};

pub const SBATCH: &str = "deploy/slurm/train.sbatch";
pub const DEF: &str = "deploy/slurm/mlcontain.def";
/// Keeps the log folder the sbatch writes to in the repository (Slurm does
/// not create it; a missing one makes the job fail before it starts).
pub const LOGS_KEEP: &str = "deploy/slurm/logs/.gitignore";

/// Default wall-clock limit (`#SBATCH --time`; `SBATCH_TIMELIMIT` or
/// `sbatch --time` override it).
pub const DEFAULT_TIME: &str = "04:00:00";
/// The rendezvous port on the first node.
pub const RDZV_PORT: u16 = 29500;

/// What the Slurm files need beyond the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmSpec {
    /// Image names are `<project>-<target>` (what `mlcontain build` tags).
    pub project: String,
    pub nodes: u32,
    /// GPUs per node; None for a CPU plan.
    pub gpus_per_node: Option<u32>,
    /// Where `mlcontain build --bake --push` pushes (`HOST/PATH`); the .def
    /// then bootstraps from it (`docker://`) instead of the local daemon.
    pub registry: Option<String>,
}

impl SlurmSpec {
    /// The Docker image the SIF is built from.
    pub fn image(&self) -> String {
        let name = format!("{}-training:latest", self.project);
        match &self.registry {
            Some(r) => format!("{}/{name}", r.trim_end_matches('/')),
            None => name,
        }
    }
    /// The SIF file name (next to the sbatch script).
    pub fn sif(&self) -> String {
        format!("{}.sif", self.project)
    }
}

/// GPUs per node for the cluster: the `--gpus` count (or the number of
/// device ids); 1 when it is `all` or unset, since a batch script needs a
/// number. None for a CPU plan.
pub fn gpus_per_node(plan: &Plan) -> Option<u32> {
    plan.cuda.as_ref()?;
    Some(match &plan.gpus {
        Some(GpuSelection::Count(GpuCount::N(n))) => *n,
        Some(GpuSelection::Ids(ids)) => u32::try_from(ids.len()).unwrap_or(u32::MAX).max(1),
        Some(GpuSelection::Count(GpuCount::All)) | None => 1,
    })
}

pub fn slurm_spec(plan: &Plan, project: &str) -> SlurmSpec {
    SlurmSpec {
        project: project.to_string(),
        nodes: plan.deploy.nodes,
        gpus_per_node: gpus_per_node(plan),
        registry: plan.saved.registry.clone(),
    }
}

/// The launcher in the job: torchrun for PyTorch, the training command
/// once per node otherwise.
fn launch_lines(plan: &Plan) -> Vec<String> {
    let cmd = &plan.training_cmd;
    let script: Vec<String> = match cmd.first().map(String::as_str) {
        Some("python") | Some("python3") => cmd[1..].to_vec(),
        _ => {
            let mut v = vec!["--no-python".to_string()];
            v.extend(cmd.iter().cloned());
            v
        }
    };
    let script: Vec<String> = script.iter().map(|a| sh_word(a)).collect();
    if plan.framework == "pytorch" {
        vec![
            "torchrun \\".into(),
            "        --nnodes=\"$SLURM_JOB_NUM_NODES\" \\".into(),
            "        --nproc-per-node=\"$NPROC_PER_NODE\" \\".into(),
            "        --rdzv-id=\"$SLURM_JOB_ID\" \\".into(),
            "        --rdzv-backend=c10d \\".into(),
            "        --rdzv-endpoint=\"$head_node:$RDZV_PORT\" \\".into(),
            format!("        {}", script.join(" ")),
        ]
    } else {
        vec![cmd.iter().map(|a| sh_word(a)).collect::<Vec<_>>().join(" ")]
    }
}

/// A word for bash: single-quoted unless it is plainly safe.
fn sh_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The Python the verify step runs on every node
/// (`assets/scripts/slurm/*.py`; no single quotes: it is embedded in a
/// single-quoted bash string). The allocation is SLURM_GPUS_ON_NODE, or the
/// devices Slurm listed in CUDA_VISIBLE_DEVICES (`NoDevFiles` when none),
/// whichever is more.
fn verify_python(plan: &Plan) -> String {
    let count = match plan.framework.as_str() {
        "pytorch" => slurm::COUNT_PYTORCH,
        "tensorflow" => slurm::COUNT_TENSORFLOW,
        "jax" => slurm::COUNT_JAX,
        _ => slurm::COUNT_NONE,
    };
    let report = match plan.cuda {
        Some(_) => slurm::REPORT_CUDA,
        None => slurm::REPORT_CPU,
    };
    fill(
        slurm::VERIFY,
        &[(slurm::COUNT, count), (slurm::REPORT, report)],
    )
}

/// `deploy/slurm/train.sbatch`.
pub fn render_sbatch(plan: &Plan, spec: &SlurmSpec) -> String {
    let mut s = String::new();
    let per_node = match spec.gpus_per_node {
        Some(g) => format!("{g} GPU(s) per node"),
        None => "CPU only".to_string(),
    };
    let sif = spec.sif();
    s.push_str("#!/bin/bash\n");
    s.push_str(
        "# Generated by mlcontain from mlcontain.yaml; regenerate with `mlcontain init --yes`.\n",
    );
    s.push_str(&format!(
        "# Training on Slurm through Apptainer: {} node(s), {per_node}, one launcher per node.\n",
        spec.nodes
    ));
    s.push_str("#\n# Once, where Docker and Apptainer are (see deploy/slurm/mlcontain.def):\n");
    s.push_str(&format!(
        "#   apptainer build deploy/slurm/{sif} deploy/slurm/mlcontain.def\n"
    ));
    s.push_str("# Then, from the repository root on the cluster:\n");
    s.push_str("#   sbatch deploy/slurm/train.sbatch\n");
    s.push_str(
        "#   SBATCH_PARTITION=gpu SBATCH_TIMELIMIT=12:00:00 sbatch deploy/slurm/train.sbatch\n",
    );
    s.push_str("# The partition is the cluster's default unless SBATCH_PARTITION (or\n");
    s.push_str(&format!(
        "# sbatch --partition) names one; the time limit is {DEFAULT_TIME} unless SBATCH_TIMELIMIT\n"
    ));
    s.push_str(
        "# (or sbatch --time) says otherwise. Paths: SIF, MODELS_DIR, DATA_DIR, RDZV_PORT\n",
    );
    s.push_str("# (environment). MLCONTAIN_VERIFY=0 skips the GPU check before training.\n");
    s.push_str("#\n# The job runs as you (your UID), not as the image's user: the SIF is\n");
    s.push_str(&format!(
        "# read-only, so models are written to MODELS_DIR, bound at {}.\n",
        plan.code.model_dir
    ));
    s.push_str("# `--contain` keeps the host's home and /tmp out; never use --containall or\n");
    s.push_str("# --cleanenv here: they drop CUDA_VISIBLE_DEVICES and every SLURM_* variable.\n");
    s.push_str(&format!("#SBATCH --job-name={}-training\n", spec.project));
    s.push_str(&format!("#SBATCH --nodes={}\n", spec.nodes));
    s.push_str("#SBATCH --ntasks-per-node=1\n");
    if let Some(g) = spec.gpus_per_node {
        s.push_str(&format!("#SBATCH --gpus-per-node={g}\n"));
    }
    s.push_str(&format!("#SBATCH --time={DEFAULT_TIME}\n"));
    s.push_str("#SBATCH --output=deploy/slurm/logs/%x-%j.out\n");
    s.push_str("#SBATCH --error=deploy/slurm/logs/%x-%j.out\n");
    s.push_str("set -euo pipefail\n\n");
    s.push_str("cd \"$SLURM_SUBMIT_DIR\"\n");
    s.push_str(&format!(
        "SIF=\"${{SIF:-$SLURM_SUBMIT_DIR/deploy/slurm/{sif}}}\"\n"
    ));
    s.push_str("MODELS_DIR=\"${MODELS_DIR:-$SLURM_SUBMIT_DIR/models}\"\n");
    // The host folder named like the mount point (`data`; `datasets` when the
    // project's data/ is a Python package, which the volume must not hide).
    let data_dir = plan.code.data_dir.as_str();
    let data_host = data_dir
        .strip_prefix(&format!("{APP_DIR}/"))
        .unwrap_or("data");
    s.push_str(&format!(
        "DATA_DIR=\"${{DATA_DIR:-$SLURM_SUBMIT_DIR/{data_host}}}\"\n"
    ));
    s.push_str(&format!("RDZV_PORT=\"${{RDZV_PORT:-{RDZV_PORT}}}\"\n"));
    if spec.gpus_per_node.is_some() {
        s.push_str("# One process per allocated GPU on each node.\n");
        s.push_str("NPROC_PER_NODE=\"${NPROC_PER_NODE:-${SLURM_GPUS_ON_NODE:?no GPUs allocated (SLURM_GPUS_ON_NODE is unset)}}\"\n");
    } else {
        s.push_str("NPROC_PER_NODE=\"${NPROC_PER_NODE:-1}\"\n");
    }
    s.push_str("mkdir -p \"$MODELS_DIR\" \"$DATA_DIR\"\n");
    s.push_str("[[ -f $SIF ]] || { echo \"no $SIF: build it with apptainer build (see deploy/slurm/mlcontain.def)\" >&2; exit 1; }\n\n");
    s.push_str("# The first node of the allocation hosts the rendezvous.\n");
    s.push_str("mapfile -t nodes < <(scontrol show hostnames \"$SLURM_JOB_NODELIST\")\n");
    s.push_str("head_node=\"${nodes[0]}\"\n");
    s.push_str("export MASTER_ADDR=\"$head_node\" MASTER_PORT=\"$RDZV_PORT\"\n\n");
    s.push_str("run=(apptainer exec");
    if plan.cuda.is_some() {
        s.push_str(" --nv");
    }
    s.push_str(&format!(
        " --contain --pwd /app\n     --bind \"$MODELS_DIR:{}\" --bind \"$DATA_DIR:{data_dir}\"\n     \"$SIF\")\n\n",
        plan.code.model_dir
    ));
    if plan.cuda.is_some() {
        s.push_str("# Before training: on every node, the framework must see the GPUs Slurm\n");
        s.push_str("# allocated (apptainer --nv says nothing on a node without a driver).\n");
    } else {
        s.push_str("# Before training: the framework imports on every node.\n");
    }
    s.push_str("verify_py='");
    s.push_str(&verify_python(plan));
    s.push_str("'\n");
    s.push_str("if [[ ${MLCONTAIN_VERIFY:-1} != 0 ]]; then\n");
    s.push_str("    srun --ntasks-per-node=1 --kill-on-bad-exit=1 \"${run[@]}\" python -c \"$verify_py\"\n");
    s.push_str("fi\n\n");
    s.push_str("echo \"training on $SLURM_JOB_NUM_NODES node(s) x $NPROC_PER_NODE process(es), rendezvous $head_node:$RDZV_PORT\"\n");
    s.push_str("srun --ntasks-per-node=1 --kill-on-bad-exit=1 \"${run[@]}\" \\\n    ");
    s.push_str(&launch_lines(plan).join("\n"));
    s.push('\n');
    s
}

/// `deploy/slurm/mlcontain.def`: the SIF bootstraps from the built image.
pub fn render_def(plan: &Plan, spec: &SlurmSpec) -> String {
    let image = spec.image();
    let sif = spec.sif();
    let mut s = String::new();
    s.push_str(
        "# Generated by mlcontain from mlcontain.yaml; regenerate with `mlcontain init --yes`.\n",
    );
    s.push_str(
        "# Apptainer image (SIF) of the training target, for deploy/slurm/train.sbatch.\n#\n",
    );
    if spec.registry.is_some() {
        s.push_str("# Build and push the image (anywhere with Docker), then build the SIF where\n");
        s.push_str("# Apptainer is (a login node):\n");
        s.push_str("#   mlcontain build --bake --push\n");
        s.push_str(&format!(
            "#   apptainer build deploy/slurm/{sif} deploy/slurm/mlcontain.def\n"
        ));
        s.push_str(
            "# (`--build-arg IMAGE=...` picks another tag.) Without a registry, on a machine\n",
        );
        s.push_str("# with both Docker and Apptainer:\n");
        s.push_str(&format!(
            "#   apptainer build deploy/slurm/{sif} docker-daemon://{}-training:latest\n",
            spec.project
        ));
        s.push_str("\nBootstrap: docker\n");
    } else {
        s.push_str("# On a machine with both Docker and Apptainer (the SIF reads the image from\n");
        s.push_str("# the local Docker daemon):\n");
        s.push_str("#   mlcontain build --target training\n");
        s.push_str(&format!(
            "#   apptainer build deploy/slurm/{sif} deploy/slurm/mlcontain.def\n"
        ));
        s.push_str(
            "# (`--build-arg IMAGE=...` picks another tag; building needs root or --fakeroot.)\n",
        );
        s.push_str("# Then copy the SIF to the cluster's shared filesystem. With a registry\n");
        s.push_str(
            "# (`mlcontain init --registry HOST/PATH`), the SIF is built from it instead.\n",
        );
        s.push_str("\nBootstrap: docker-daemon\n");
    }
    s.push_str("From: {{ IMAGE }}\n\n");
    s.push_str("%arguments\n");
    s.push_str(&format!("    IMAGE={image}\n\n"));
    s.push_str("%labels\n");
    s.push_str("    org.mlcontain.target training\n\n");
    s.push_str("%help\n");
    s.push_str("    The training image, run by deploy/slurm/train.sbatch with\n");
    s.push_str("    apptainer exec --nv --contain --pwd /app; it runs as the calling user.\n");
    if !plan.framework_import.is_empty() {
        s.push_str("\n%test\n");
        s.push_str(&format!(
            "    /opt/venv/bin/python -c 'import {}'\n",
            plan.framework_import
        ));
    }
    s
}

/// `deploy/slurm/logs/.gitignore`.
pub fn render_logs_keep() -> String {
    "# Slurm writes the job logs here (train.sbatch --output); it does not create the folder.\n*\n!.gitignore\n".to_string()
}

#[cfg(test)]
mod tests {
    use super::sh_word;

    #[test]
    fn words_are_quoted_for_bash() {
        assert_eq!(sh_word("train.py"), "train.py");
        assert_eq!(sh_word("a b"), "'a b'");
        assert_eq!(sh_word("it's"), "'it'\\''s'");
        assert_eq!(sh_word("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(sh_word(""), "''");
    }
}
