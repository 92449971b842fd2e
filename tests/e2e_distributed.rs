//! Distributed training for real, on CPU, in the Docker engine:
//!
//! - two nodes: the Kubernetes Job's training command (CPU overlay), run in two
//!   containers named like the Job's pods (`training-0`, `training-1`, with
//!   `training-0.training` resolving as the headless Service makes it), the
//!   gloo backend and torch from PyPI, meet at the c10d rendezvous and finish
//!   with every rank in one world;
//! - one node: the compose training service's `torchrun --standalone
//!   --nproc-per-node 2` completes with its shm_size, and dies of a bus error
//!   in the data loader when the setting is removed (Docker's 64 MB /dev/shm).
//!
//! The image is the generated Dockerfile's training target for a project
//! pinning `torch==2.5.1` (PyPI's build; it runs on CPU). The only change to
//! the generated files is at the hardware boundary: the GPU reservation is
//! dropped (no GPU here). Skips without an engine unless MLCONTAIN_REQUIRE_DOCKER=1.

mod support;

use mlcontain::render::k8s::{variant, Accel, Object};
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const IMAGE: &str = "i14-dist-train:latest";
static ENGINE: Mutex<()> = Mutex::new(());

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run a command")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `docker compose -p NAME -f FILE ARGS`, bounded by `timeout`.
fn compose(file: &Path, project: &str, args: &[&str], limit: u64) -> Output {
    run(Command::new("timeout")
        .arg(limit.to_string())
        .args(["docker", "compose", "-p", project, "-f"])
        .arg(file)
        .args(args))
}

struct Down(PathBuf, &'static str);
impl Drop for Down {
    fn drop(&mut self) {
        let _ = compose(
            &self.0,
            self.1,
            &["down", "--volumes", "--timeout", "5"],
            120,
        );
    }
}

/// The generated project, planned and written by the real binary, and its
/// training image built from the generated Dockerfile.
fn project() -> (tempfile::TempDir, mlcontain::plan::Plan) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "torch==2.5.1\n").unwrap();
    let args = [
        "init",
        "--yes",
        "--cuda",
        "12.4",
        "--python",
        "3.11",
        "--gpus",
        "2",
        "--stages",
        "training",
        "--deploy",
        "kubernetes",
        "--nodes",
        "2",
    ];
    let out = support::mlcontain(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out));
    let saved = mlcontain::choices::SavedConfig::parse(
        &std::fs::read_to_string(dir.path().join("mlcontain.yaml")).unwrap(),
        "mlcontain.yaml",
    )
    .unwrap();
    let facts = mlcontain::facts::Facts {
        project: mlcontain::detect::project::scan(dir.path()).unwrap(),
        ..mlcontain::scenarios::no_gpu()
    };
    let plan = mlcontain::plan::plan(&facts, &saved.to_choices()).unwrap();
    let start = Instant::now();
    let b = run(Command::new("timeout")
        .args([
            "1500", "docker", "build", "--target", "training", "-t", IMAGE,
        ])
        .arg(dir.path()));
    assert!(b.status.success(), "build: {}", text(&b));
    eprintln!("training image built in {:.0?}", start.elapsed());
    (dir, plan)
}

/// Free bytes on the file system holding the engine's data (df, in KiB).
fn free_gib(path: &str) -> Option<u64> {
    let o = run(Command::new("df").args(["-Pk", path]));
    let t = String::from_utf8_lossy(&o.stdout).to_string();
    t.lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse::<u64>()
        .ok()
        .map(|k| k / (1024 * 1024))
}

fn engine() -> Option<std::sync::MutexGuard<'static, ()>> {
    support::docker_engine()?;
    support::docker_compose()?;
    // PyPI's torch with its CUDA libraries makes a ~5.5 GB image: run where
    // there is room, or always with MLCONTAIN_REQUIRE_DIST=1.
    if std::env::var("MLCONTAIN_REQUIRE_DIST").as_deref() != Ok("1") {
        let root = run(Command::new("docker").args(["info", "--format", "{{.DockerRootDir}}"]));
        let root = String::from_utf8_lossy(&root.stdout).trim().to_string();
        let free = free_gib(if root.is_empty() { "/" } else { &root }).unwrap_or(0);
        if free < 15 {
            eprintln!("SKIP: {free} GiB free for the engine; the torch image needs ~15 GiB to build (MLCONTAIN_REQUIRE_DIST=1 runs it anyway)");
            return None;
        }
    }
    Some(ENGINE.lock().unwrap_or_else(|e| e.into_inner()))
}

fn yaml_str(v: &str) -> Value {
    Value::String(v.to_string())
}

/// Kubernetes `$(VAR)` expansion of a command line from the container's env.
fn expand(arg: &str, env: &[(String, String)]) -> String {
    let mut out = arg.to_string();
    for (k, v) in env {
        out = out.replace(&format!("$({k})"), v);
    }
    out
}

#[test]
fn two_nodes_meet_at_the_jobs_rendezvous() {
    let Some(_guard) = engine() else { return };
    let _lock = support::EngineLock::acquire_within(Duration::from_secs(40 * 60));
    let (dir, plan) = project();
    // The training container of the Job as the CPU overlay renders it.
    let objects = variant(&plan, Accel::Cpu);
    let job = objects
        .iter()
        .find_map(|o| match o {
            Object::Job(j) => Some(j.clone()),
            _ => None,
        })
        .expect("a training Job");
    let spec = job.spec.unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.subdomain.as_deref(), Some("training"));
    let c = &pod.containers[0];
    let mut line: Vec<String> = c.command.clone().unwrap();
    line.extend(c.args.clone().unwrap());
    assert!(
        line.iter()
            .any(|a| a == "--rdzv-endpoint=training-0.training:29500"),
        "{line:?}"
    );
    assert!(line
        .iter()
        .any(|a| a == "--node-rank=$(JOB_COMPLETION_INDEX)"));

    let mut services = Mapping::new();
    for index in 0..plan.deploy.nodes {
        // The pod's environment: literal values, plus the completion index
        // the Job controller annotates each pod with.
        let mut env: Vec<(String, String)> = c
            .env
            .iter()
            .flatten()
            .filter_map(|e| e.value.clone().map(|v| (e.name.clone(), v)))
            .collect();
        env.push(("JOB_COMPLETION_INDEX".into(), index.to_string()));
        let pod_name = format!("training-{index}");
        let mut svc = Mapping::new();
        svc.insert(yaml_str("image"), yaml_str(IMAGE));
        svc.insert(yaml_str("hostname"), yaml_str(&pod_name));
        svc.insert(
            yaml_str("command"),
            Value::Sequence(line.iter().map(|a| yaml_str(&expand(a, &env))).collect()),
        );
        let mut e = Mapping::new();
        for (k, v) in &env {
            e.insert(yaml_str(k), yaml_str(v));
        }
        svc.insert(yaml_str("environment"), Value::Mapping(e));
        // The pod's hardening: numeric non-root user, no capabilities, a
        // read-only root with writable scratch, memory-backed /dev/shm.
        svc.insert(yaml_str("user"), yaml_str(&format!("{0}:{0}", plan.uid)));
        svc.insert(yaml_str("read_only"), Value::Bool(true));
        svc.insert(yaml_str("cap_drop"), Value::Sequence(vec![yaml_str("ALL")]));
        svc.insert(
            yaml_str("security_opt"),
            Value::Sequence(vec![yaml_str("no-new-privileges:true")]),
        );
        svc.insert(
            yaml_str("tmpfs"),
            Value::Sequence(
                ["/tmp", "/home/app/.cache", "/app/models", "/app/data"]
                    .iter()
                    .map(|p| yaml_str(&format!("{p}:uid={0},gid={0}", plan.uid)))
                    .collect(),
            ),
        );
        svc.insert(yaml_str("shm_size"), yaml_str("2gb"));
        // Pod DNS through the headless Service: `training-<i>.training`.
        let mut net = Mapping::new();
        let mut aliases = Mapping::new();
        aliases.insert(
            yaml_str("aliases"),
            Value::Sequence(vec![yaml_str(&format!("{pod_name}.training"))]),
        );
        net.insert(yaml_str("pods"), Value::Mapping(aliases));
        svc.insert(yaml_str("networks"), Value::Mapping(net));
        services.insert(yaml_str(&pod_name), Value::Mapping(svc));
    }
    let mut root = Mapping::new();
    root.insert(yaml_str("services"), Value::Mapping(services));
    let mut nets = Mapping::new();
    nets.insert(yaml_str("pods"), Value::Mapping(Mapping::new()));
    root.insert(yaml_str("networks"), Value::Mapping(nets));
    let file = dir.path().join("pods.yaml");
    std::fs::write(&file, serde_yaml::to_string(&Value::Mapping(root)).unwrap()).unwrap();
    let project = "i14-rdzv";
    let _down = Down(file.clone(), project);

    let start = Instant::now();
    let up = compose(&file, project, &["up", "--no-color"], 600);
    let took = start.elapsed();
    let logs = text(&up);
    eprintln!("{logs}");
    let ps = compose(
        &file,
        project,
        &["ps", "-a", "--format", "{{.Service}} {{.ExitCode}}"],
        60,
    );
    let states = text(&ps);
    for index in 0..plan.deploy.nodes {
        assert!(
            states.contains(&format!("training-{index} 0")),
            "pod {index} failed: {states}\n{logs}"
        );
    }
    let world = plan.deploy.nodes; // the CPU overlay runs one process per node
    for rank in 0..world {
        assert!(
            logs.contains(&format!("rank {rank}/{world} on cpu (backend gloo)")),
            "rank {rank} missing: {logs}"
        );
        assert!(
            logs.contains(&format!("rank {rank}: done, world size {world}")),
            "{logs}"
        );
    }
    eprintln!(
        "MEASURED: two-node c10d rendezvous run (compose up to both pods exited): {:.1} s",
        took.as_secs_f64()
    );
}

#[test]
fn standalone_two_processes_need_the_shm_setting() {
    let Some(_guard) = engine() else { return };
    let _lock = support::EngineLock::acquire_within(Duration::from_secs(40 * 60));
    let (dir, plan) = project();
    let compose_text = std::fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    let mut doc: Value = serde_yaml::from_str(&compose_text).unwrap();
    let training = doc["services"]["training"].as_mapping_mut().unwrap();
    assert_eq!(
        training
            .get("command")
            .and_then(|c| c.as_sequence())
            .map(|c| c.len()),
        Some(5),
        "{compose_text}"
    );
    assert_eq!(training.get("shm_size"), Some(&yaml_str("4gb")));
    // Hardware boundary: no GPU to reserve here; the prebuilt image stands in for `build`.
    training.remove("deploy");
    training.remove("build");
    training.insert(yaml_str("image"), yaml_str(IMAGE));
    training.insert(yaml_str("network_mode"), yaml_str("none"));
    // An engine without CAP_SYS_RESOURCE (a rootless or nested daemon, as in
    // this sandbox) cannot raise memlock to unlimited; GPU hosts' engines can.
    let probe = run(Command::new("docker").args([
        "run",
        "--rm",
        "--network",
        "none",
        "--ulimit",
        "memlock=-1:-1",
        IMAGE,
        "true",
    ]));
    if !probe.status.success() && text(&probe).contains("rlimit") {
        eprintln!("NOTE: this engine refuses memlock=-1 (no CAP_SYS_RESOURCE); the test drops that one ulimit");
        training["ulimits"]
            .as_mapping_mut()
            .unwrap()
            .remove("memlock");
    }
    // Batches of 64 MB (4 samples x 4M floats), two loader workers per rank.
    let env = training["environment"].as_mapping_mut().unwrap();
    for (k, v) in [
        ("FEATURES", "4000000"),
        ("BATCH_SIZE", "4"),
        ("SAMPLES", "16"),
        ("NUM_WORKERS", "2"),
    ] {
        env.insert(yaml_str(k), yaml_str(v));
    }
    let with_shm = dir.path().join("compose.with-shm.yaml");
    std::fs::write(&with_shm, serde_yaml::to_string(&doc).unwrap()).unwrap();
    doc["services"]["training"]
        .as_mapping_mut()
        .unwrap()
        .remove("shm_size");
    let without = dir.path().join("compose.without-shm.yaml");
    std::fs::write(&without, serde_yaml::to_string(&doc).unwrap()).unwrap();

    let project = "i14-shm";
    let _down = Down(with_shm.clone(), project);
    let start = Instant::now();
    let ok = compose(&with_shm, project, &["run", "--rm", "training"], 600);
    let took = start.elapsed();
    let out = text(&ok);
    assert!(ok.status.success(), "with shm_size: {out}");
    for rank in 0..2 {
        assert!(
            out.contains(&format!("rank {rank}: done, world size 2")),
            "{out}"
        );
    }
    eprintln!(
        "MEASURED: 2-process --standalone run with shm_size 4gb: {:.1} s",
        took.as_secs_f64()
    );
    let bad = compose(&without, project, &["run", "--rm", "training"], 600);
    let out = text(&bad);
    assert!(
        !bad.status.success(),
        "without shm_size it should fail: {out}"
    );
    assert!(
        out.contains("Bus error") || out.contains("shared memory"),
        "the failure is the 64 MB /dev/shm: {out}"
    );
    let _ = plan;
}
