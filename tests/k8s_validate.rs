//! The generated Kubernetes manifests, checked by the real tools:
//! scripts/k8s-validate.sh renders every overlay with `kubectl kustomize`
//! for every framework x {cpu, gpu} x {1, 2 nodes}, validates the core kinds
//! with `kubernetes-validate --strict` and the JobSet / PyTorchJob /
//! KServe InferenceService documents
//! with `check-jsonschema` against strict schemas made from the CRDs, with
//! negative controls. Skips (saying why) without the tools unless
//! MLCONTAIN_REQUIRE_K8S=1 (CI), where a missing tool fails.

mod support;

use std::process::Command;

#[test]
fn manifests_pass_kustomize_and_strict_validation() {
    let root = support::repo_root();
    let tools = root.join(".tools/k8s-venv/bin");
    let crds = std::env::var_os("MLCONTAIN_K8S_CRDS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/k8s-crds"));
    let required = std::env::var("MLCONTAIN_REQUIRE_K8S").as_deref() == Ok("1");
    for (what, ok) in [
        ("kubectl", tools.join("kubectl").is_file()),
        (
            "kubernetes-validate",
            tools.join("kubernetes-validate").is_file(),
        ),
        ("check-jsonschema", tools.join("check-jsonschema").is_file()),
        (
            "the CRDs",
            crds.join("jobset.x-k8s.io_jobsets.yaml").is_file()
                && crds
                    .join("serving.kserve.io_inferenceservices.yaml")
                    .is_file(),
        ),
    ] {
        if !ok {
            if required {
                panic!("{what} is required (MLCONTAIN_REQUIRE_K8S=1) but missing; run scripts/provision-k8s-tools.sh and set MLCONTAIN_K8S_CRDS");
            }
            eprintln!("SKIP: {what} not found (scripts/provision-k8s-tools.sh; CRDs from ../shared/k8s-crds or MLCONTAIN_K8S_CRDS)");
            return;
        }
    }
    let out = Command::new(root.join("scripts/k8s-validate.sh"))
        .arg(env!("CARGO_BIN_EXE_mlcontain"))
        .env("MLCONTAIN_K8S_CRDS", &crds)
        .output()
        .expect("run scripts/k8s-validate.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Every framework of the catalog was rendered, and a GPU row passed.
    for fw in mlcontain::catalog::Catalog::embedded().framework_ids() {
        assert!(
            stdout.contains(&format!("| {fw} | cpu (cpu) | 2 | cpu | pass |")),
            "{fw}: {stdout}"
        );
    }
    assert!(
        stdout.contains(
            "| pytorch | gpu (12.4) | 2 | cpu gpu mig | pass | inferenceservice jobset pytorchjob | pass | path: /health |"
        ),
        "{stdout}"
    );
    // A server without a health route gets a TCP probe, one with a route a GET of it.
    assert!(
        stdout.contains("| flask-xgboost (fixture) | cpu | 2 | cpu | pass | inferenceservice jobset | pass | tcpSocket |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| poetry-fastapi (fixture) | cpu | 2 | cpu | pass | inferenceservice | pass | path: /health |"),
        "{stdout}"
    );
    assert!(stdout.contains(", 0 failures,"), "{stdout}");
}
