//! The Slurm files (deploy/slurm/) and docker-bake.hcl, rendered from real
//! plans and checked by the real tools: bash -n and shellcheck for the sbatch
//! script, `docker buildx bake --print` for the bake file.

mod support;

use mlcontain::choices::{Choices, Stage};
use mlcontain::detect::project::scan;
use mlcontain::facts::Facts;
use mlcontain::plan::{plan, Plan};
use mlcontain::render::bake::{render_bake, BakeSpec, BAKE};
use mlcontain::render::slurm::{render_def, render_sbatch, SlurmSpec};
use mlcontain::scenarios;
use std::process::Command;

fn plan_for(fixture: &str, host: Facts, choices: Choices) -> Plan {
    let project = scan(&support::repo_root().join("tests/fixtures").join(fixture)).unwrap();
    plan(&Facts { project, ..host }, &choices).unwrap()
}

fn torch_plan() -> Plan {
    plan_for("pip-torch", scenarios::a100_4090_550(), Choices::default())
}

fn cpu_plan() -> Plan {
    plan_for("sklearn-cpu", scenarios::no_gpu(), Choices::default())
}

fn spec(gpus: Option<u32>, registry: Option<&str>) -> SlurmSpec {
    SlurmSpec {
        project: "demo".into(),
        nodes: 2,
        gpus_per_node: gpus,
        registry: registry.map(str::to_string),
    }
}

/// shellcheck, or None (skip, saying why) unless MLCONTAIN_REQUIRE_SHELLCHECK=1.
fn shellcheck() -> Option<&'static str> {
    if Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some("shellcheck");
    }
    if std::env::var("MLCONTAIN_REQUIRE_SHELLCHECK").as_deref() == Ok("1") {
        panic!("shellcheck is required (MLCONTAIN_REQUIRE_SHELLCHECK=1) but not found (apt-get install shellcheck)");
    }
    eprintln!("SKIP: shellcheck not found (apt-get install shellcheck)");
    None
}

fn check_shell(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.sbatch");
    std::fs::write(&path, text).unwrap();
    let o = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        o.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    if let Some(sc) = shellcheck() {
        let o = Command::new(sc)
            .arg("--shell=bash")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "shellcheck:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

fn sbatch_directives(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("#SBATCH "))
        .collect()
}

#[test]
fn sbatch_runs_one_torchrun_per_node_through_apptainer() {
    let p = torch_plan();
    let s = render_sbatch(&p, &spec(Some(4), None));
    let d = sbatch_directives(&s);
    for want in [
        "--nodes=2",
        "--ntasks-per-node=1",
        "--gpus-per-node=4",
        "--time=04:00:00",
        "--output=deploy/slurm/logs/%x-%j.out",
        "--job-name=demo-training",
    ] {
        assert!(d.contains(&want), "missing #SBATCH {want} in {d:?}");
    }
    // The directives come before the first command (sbatch stops reading them there).
    let first_cmd = s.lines().position(|l| !l.starts_with('#')).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    let last_directive = lines
        .iter()
        .rposition(|l| l.starts_with("#SBATCH "))
        .unwrap();
    assert!(last_directive < first_cmd);
    assert!(s.contains("mapfile -t nodes < <(scontrol show hostnames \"$SLURM_JOB_NODELIST\")\nhead_node=\"${nodes[0]}\"\n"));
    assert!(s.contains("--nproc-per-node=\"$NPROC_PER_NODE\""));
    assert!(s.contains("NPROC_PER_NODE=\"${NPROC_PER_NODE:-${SLURM_GPUS_ON_NODE:?"));
    assert!(s.contains("--rdzv-endpoint=\"$head_node:$RDZV_PORT\""));
    assert!(s.contains("run=(apptainer exec --nv --contain --pwd /app"));
    assert!(s.contains("--bind \"$MODELS_DIR:/app/models\""));
    assert!(s.contains("--bind \"$DATA_DIR:/app/data\""));
    // The flags that drop CUDA_VISIBLE_DEVICES and SLURM_* are never used
    // (only named in the comment that warns against them).
    for bad in ["--containall", "--cleanenv"] {
        assert!(
            s.lines()
                .filter(|l| !l.starts_with('#'))
                .all(|l| !l.contains(bad)),
            "{bad} in a command line"
        );
    }
    // The verify step compares the framework's count with Slurm's.
    assert!(s.contains("SLURM_GPUS_ON_NODE"));
    assert!(s.contains("torch.cuda.device_count()"));
    assert!(s.contains("sys.exit(1)"));
    // No UID of the image is forced: the job runs as the caller.
    assert!(!s.contains("10001"));
    assert!(s.trim_end().ends_with("train.py"), "{s}");
    check_shell(&s);
}

#[test]
fn sbatch_verify_python_is_valid_and_fails_on_fewer_gpus() {
    // The embedded Python, run by the real interpreter with a stand-in
    // `torch` module that sees 1 GPU: Slurm allocated 2 -> exit 1; 1 -> 0.
    let s = render_sbatch(&torch_plan(), &spec(Some(2), None));
    let start = s.find("verify_py='").unwrap() + "verify_py='".len();
    let end = start + s[start..].find("'\n").unwrap();
    let py = &s[start..end];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("torch.py"),
        "__version__ = '0'\nclass cuda:\n    @staticmethod\n    def device_count():\n        return 1\n",
    )
    .unwrap();
    let Ok(python) = which_python() else {
        eprintln!("SKIP: no python3 on PATH");
        return;
    };
    // (SLURM_GPUS_ON_NODE, CUDA_VISIBLE_DEVICES, passes)
    for (want, cvd, ok) in [
        ("2", "", false),
        ("1", "", true),
        ("", "", true),
        // Slurm listed two devices (SLURM_GPUS_ON_NODE unset): one seen is too few.
        ("", "0,1", false),
        ("1", "3", true),
        ("", "NoDevFiles", true),
    ] {
        let o = Command::new(&python)
            .arg("-c")
            .arg(py)
            .env("PYTHONPATH", dir.path())
            .env("SLURM_GPUS_ON_NODE", want)
            .env("CUDA_VISIBLE_DEVICES", cvd)
            .output()
            .unwrap();
        assert_eq!(
            o.status.success(),
            ok,
            "SLURM_GPUS_ON_NODE={want} CUDA_VISIBLE_DEVICES={cvd}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if !ok {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("sees 1 GPU(s) but Slurm allocated 2"), "{err}");
        }
    }
}

fn which_python() -> Result<String, ()> {
    for p in ["python3", "python"] {
        if Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(p.to_string());
        }
    }
    Err(())
}

#[test]
fn cpu_sbatch_has_no_gpus_and_no_torchrun() {
    let p = cpu_plan();
    let s = render_sbatch(&p, &spec(None, None));
    let d = sbatch_directives(&s);
    assert!(!d.iter().any(|l| l.starts_with("--gpus")), "{d:?}");
    assert!(!s.contains(" --nv"), "{s}");
    assert!(!s.contains("torchrun"));
    assert!(s.contains("NPROC_PER_NODE=\"${NPROC_PER_NODE:-1}\""));
    check_shell(&s);
}

#[test]
fn def_bootstraps_from_the_daemon_or_the_registry() {
    let p = torch_plan();
    let local = render_def(&p, &spec(Some(1), None));
    assert!(local.contains("\nBootstrap: docker-daemon\nFrom: {{ IMAGE }}\n"));
    assert!(local.contains("%arguments\n    IMAGE=demo-training:latest\n"));
    assert!(local.contains("apptainer build deploy/slurm/demo.sif deploy/slurm/mlcontain.def"));
    assert!(local.contains("/opt/venv/bin/python -c 'import torch'"));
    let reg = render_def(&p, &spec(Some(1), Some("registry.example.com/team/")));
    assert!(reg.contains("\nBootstrap: docker\nFrom: {{ IMAGE }}\n"));
    assert!(reg.contains("IMAGE=registry.example.com/team/demo-training:latest\n"));
}

fn bake_spec(registry: Option<&str>, platforms: &[&str]) -> BakeSpec {
    BakeSpec {
        project: "demo".into(),
        registry: registry.map(str::to_string),
        platforms: platforms.iter().map(|s| s.to_string()).collect(),
    }
}

/// `docker buildx bake --print` of the file (next to a Dockerfile), as JSON.
fn bake_print(hcl: &str, env: &[(&str, &str)]) -> Option<serde_json::Value> {
    support::docker_engine()?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(BAKE), hcl).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let mut c = Command::new("docker");
    c.args(["buildx", "bake", "--print", "-f", BAKE])
        .current_dir(dir.path());
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "bake --print: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

#[test]
fn bake_file_has_a_target_per_stage_with_tags_cache_and_platforms() {
    let p = torch_plan();
    let hcl = render_bake(
        &p,
        &bake_spec(Some("127.0.0.1:5000/team"), &["linux/amd64", "linux/arm64"]),
    );
    assert!(hcl.contains("variable \"REGISTRY\""), "{hcl}");
    let Some(v) = bake_print(&hcl, &[]) else {
        return;
    };
    let stages: Vec<&str> = p.stages.iter().map(Stage::as_str).collect();
    let group: Vec<&str> = v["group"]["default"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(group, stages);
    for t in &stages {
        let tg = &v["target"][*t];
        assert_eq!(tg["target"], *t);
        assert_eq!(tg["dockerfile"], "Dockerfile");
        assert_eq!(
            tg["tags"][0],
            format!("127.0.0.1:5000/team/demo-{t}:latest")
        );
        assert_eq!(
            tg["platforms"],
            serde_json::json!(["linux/amd64", "linux/arm64"])
        );
        assert_eq!(
            tg["cache-from"][0],
            format!("type=registry,ref=127.0.0.1:5000/team/demo-cache:{t}")
        );
        assert_eq!(
            tg["cache-to"][0],
            format!("type=registry,ref=127.0.0.1:5000/team/demo-cache:{t},mode=max")
        );
    }
    // The variables are real bake variables: the environment overrides them.
    let v = bake_print(&hcl, &[("TAG", "abc123"), ("PROJECT", "other")]).unwrap();
    assert_eq!(
        v["target"]["training"]["tags"][0],
        "127.0.0.1:5000/team/other-training:abc123"
    );
}

#[test]
fn bake_file_without_registry_has_no_cache_and_local_tags() {
    let p = cpu_plan();
    let hcl = render_bake(&p, &bake_spec(None, &["linux/amd64"]));
    assert!(!hcl.contains("REGISTRY"));
    assert!(!hcl.contains("cache-"));
    let Some(v) = bake_print(&hcl, &[]) else {
        return;
    };
    assert_eq!(v["target"]["training"]["tags"][0], "demo-training:latest");
    assert!(v["target"]["training"].get("cache-to").is_none());
}

#[test]
fn hostile_names_stay_literal_in_the_bake_file() {
    // A project name with interpolation syntax (the renderer escapes it;
    // the CLI never produces one, this guards the encoder).
    let p = cpu_plan();
    let mut s = bake_spec(None, &["linux/amd64"]);
    s.project = "x${TAG}%{if true}y\"z".into();
    let hcl = render_bake(&p, &s);
    let Some(v) = bake_print(&hcl, &[]) else {
        return;
    };
    assert_eq!(
        v["target"]["training"]["tags"][0],
        "x${TAG}%{if true}y\"z-training:latest"
    );
}

#[test]
fn snapshot_fleet_files() {
    let p = torch_plan();
    let mut out = String::new();
    out.push_str("==> deploy/slurm/train.sbatch <==\n");
    out.push_str(&render_sbatch(&p, &spec(Some(2), None)));
    out.push_str("\n==> deploy/slurm/mlcontain.def <==\n");
    out.push_str(&render_def(&p, &spec(Some(2), None)));
    out.push_str("\n==> docker-bake.hcl <==\n");
    out.push_str(&render_bake(
        &p,
        &bake_spec(Some("registry.example.com/team"), &["linux/amd64"]),
    ));
    insta::assert_snapshot!(out);
}

fn ok(o: &std::process::Output) -> String {
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{out}");
    out
}

#[test]
fn init_writes_the_slurm_files_and_the_bake_file_and_check_keeps_them() {
    let d = support::copy_fixture("pip-torch");
    let dir = d.path();
    ok(&support::mlcontain(
        dir,
        &[
            "init",
            "--yes",
            "--cuda",
            "12.4",
            "--allow-incompatible",
            "--deploy",
            "slurm",
            "--nodes",
            "2",
            "--gpus",
            "4",
        ],
    ));
    let sbatch = std::fs::read_to_string(dir.join("deploy/slurm/train.sbatch")).unwrap();
    assert!(sbatch.contains("#SBATCH --nodes=2\n"));
    assert!(sbatch.contains("#SBATCH --gpus-per-node=4\n"));
    let def = std::fs::read_to_string(dir.join("deploy/slurm/mlcontain.def")).unwrap();
    // Images are `<project>-training` (the folder's name, as `mlcontain build` tags).
    let project = mlcontain::docker::project_name(dir, None);
    assert!(
        def.contains(&format!("IMAGE={project}-training:latest")),
        "{def}"
    );
    assert!(dir.join("deploy/slurm/logs/.gitignore").is_file());
    assert!(
        dir.join(BAKE).is_file(),
        "a cluster target writes docker-bake.hcl"
    );
    // The answers regenerate the same bytes.
    let o = support::mlcontain(dir, &["init", "--check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    std::fs::write(dir.join("deploy/slurm/train.sbatch"), "#!/bin/bash\n").unwrap();
    let o = support::mlcontain(dir, &["init", "--check"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("differs: deploy/slurm/train.sbatch"));
}

#[test]
fn init_bake_is_saved_and_a_symlinked_deploy_folder_is_refused() {
    let d = support::copy_fixture("sklearn-cpu");
    let dir = d.path();
    ok(&support::mlcontain(dir, &["init", "--yes", "--bake"]));
    assert!(dir.join(BAKE).is_file());
    let saved = std::fs::read_to_string(dir.join("mlcontain.yaml")).unwrap();
    assert!(saved.contains("bake: true"), "{saved}");
    assert!(
        !dir.join("deploy").exists(),
        "no Slurm files without --deploy slurm"
    );

    let d = support::copy_fixture("sklearn-cpu");
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("deploy")).unwrap();
    let o = support::mlcontain(d.path(), &["init", "--yes", "--deploy", "slurm"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("symlink"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn build_bake_dry_run_prints_the_bake_command() {
    let d = support::copy_fixture("sklearn-cpu");
    let dir = d.path();
    ok(&support::mlcontain(dir, &["init", "--yes", "--bake"]));
    let out = ok(&support::mlcontain(
        dir,
        &[
            "build",
            "--bake",
            "--push",
            "--platform",
            "linux/amd64,linux/arm64",
            "--dry-run",
        ],
    ));
    assert!(
        out.contains("docker buildx bake -f docker-bake.hcl --set '*.platform=linux/amd64,linux/arm64' --push"),
        "{out}"
    );
    let o = support::mlcontain(dir, &["build", "--push"]);
    assert!(!o.status.success(), "--push needs --bake");
}

#[test]
fn a_clone_in_another_folder_regenerates_the_same_cluster_files() {
    // The image names of the cluster files come from mlcontain.yaml, not
    // from whatever the clone's folder is called.
    let d = support::copy_fixture("pip-torch");
    let first = d.path();
    ok(&support::mlcontain(
        first,
        &[
            "init",
            "--yes",
            "--allow-incompatible",
            "--cuda",
            "12.4",
            "--deploy",
            "slurm,kubernetes",
        ],
    ));
    let project = mlcontain::docker::project_name(&first.canonicalize().unwrap(), None);
    let saved = std::fs::read_to_string(first.join("mlcontain.yaml")).unwrap();
    assert!(saved.contains(&format!("project: {project}\n")), "{saved}");
    let other = tempfile::tempdir().unwrap();
    let clone = other.path().join("a-clone-named-otherwise");
    support::copy_dir(first, &clone);
    let o = support::mlcontain(&clone, &["init", "--check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let def = std::fs::read_to_string(clone.join("deploy/slurm/mlcontain.def")).unwrap();
    assert!(
        def.contains(&format!("IMAGE={project}-training:latest")),
        "{def}"
    );
    let hcl = std::fs::read_to_string(clone.join(BAKE)).unwrap();
    assert!(hcl.contains(&format!("default = \"{project}\"")), "{hcl}");
    // `mlcontain build` tags the images the .def and the bake file name.
    let o = ok(&support::mlcontain(
        &clone,
        &["build", "--dry-run", "--target", "training"],
    ));
    assert!(o.contains(&format!("{project}-training")), "{o}");
    assert!(!o.contains("a-clone-named-otherwise-training"), "{o}");
    // README.Docker.md names them too, and covers each target.
    let readme = std::fs::read_to_string(clone.join("README.Docker.md")).unwrap();
    assert!(
        readme.contains(&format!("-t \"{project}-training\"")),
        "{readme}"
    );
    for section in ["## Kubernetes", "## Slurm", "## Bake", "## Train"] {
        assert!(readme.contains(section), "{section}: {readme}");
    }
    // The Kubernetes manifests and compose name the same images.
    let job = std::fs::read_to_string(clone.join("deploy/k8s/base/training-job.yaml")).unwrap();
    assert!(
        job.contains(&format!("image: {project}-training:latest")),
        "{job}"
    );
    let compose = std::fs::read_to_string(clone.join("compose.yaml")).unwrap();
    assert!(
        compose.contains(&format!("\nname: {project}\n")),
        "{compose}"
    );
    if support::docker_compose().is_some() {
        let o = Command::new("docker")
            .args(["compose", "config", "--format", "json"])
            .current_dir(&clone)
            .env_remove("COMPOSE_PROJECT_NAME")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["name"], project.as_str(), "compose's project name");
    }
    assert!(
        readme.contains(&format!("apptainer build deploy/slurm/{project}.sif")),
        "{readme}"
    );
}

/// `docker buildx bake` builds exactly the images the Kubernetes manifests
/// reference: every `image:` of deploy/k8s is among the bake file's tags
/// (evaluated by buildx itself), with and without a registry.
#[test]
fn bake_tags_the_images_the_kubernetes_manifests_reference() {
    for registry in [None, Some("127.0.0.1:5000/team")] {
        let choices = Choices {
            deploy: Some(vec![mlcontain::choices::DeployTarget::Kubernetes]),
            nodes: Some(2),
            stages: Some(vec![Stage::Training, Stage::Inference]),
            project: Some("demo".into()),
            registry: registry.map(str::to_string),
            ..Default::default()
        };
        let p = plan_for("pip-torch", scenarios::a100_4090_550(), choices);
        let images: Vec<String> = mlcontain::render::render(&p)
            .iter()
            .filter(|f| f.path.starts_with("deploy/k8s/"))
            .flat_map(|f| {
                f.contents
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("image: "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(images.len() >= 2, "{images:?}");
        let spec = mlcontain::render::fleet::spec_for(&p, "demo", "linux/amd64");
        let hcl = render_bake(&p, &mlcontain::render::fleet::bake_spec(&p, &spec));
        let Some(v) = bake_print(&hcl, &[]) else {
            return;
        };
        let tags: Vec<String> = v["target"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|t| t["tags"].as_array().unwrap().clone())
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        for i in &images {
            assert!(tags.contains(i), "{i} is not a bake tag: {tags:?}");
        }
        let want = match registry {
            Some(r) => format!("{r}/demo-training:latest"),
            None => "demo-training:latest".to_string(),
        };
        assert!(images.contains(&want), "{images:?}");
    }
}
