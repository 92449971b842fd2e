//! Multi-platform builds and the engine's capabilities, on the real engine:
//! `mlcontain build --platform linux/amd64,linux/arm64` refuses, before
//! anything is built, a base image that lacks a platform (the local stand-in
//! bases are amd64 only) and an engine that cannot hold a multi-platform
//! image; `mlcontain build --bake` with a registry cache is refused on an
//! engine that cannot export one. Skips (saying why) without a Docker engine
//! unless MLCONTAIN_REQUIRE_DOCKER=1.

mod support;

use mlcontain::docker::Engine;
use std::process::Command;

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn image_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", name])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_two_platform_build_from_a_single_platform_base_is_refused_before_building() {
    if support::docker_engine().is_none() {
        return;
    }
    let d = support::copy_fixture("sklearn-cpu");
    let dir = d.path();
    let o = support::mlcontain(dir, &["init", "--yes", "--stages", "training"]);
    assert!(o.status.success(), "{}", out(&o));
    let project = mlcontain::docker::project_name(&dir.canonicalize().unwrap(), None);
    let o = support::mlcontain(
        dir,
        &[
            "build",
            "--target",
            "training",
            "--platform",
            "linux/amd64,linux/arm64",
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("has no linux/arm64 variant (it has linux/amd64)"),
        "{text}"
    );
    assert!(text.contains("labels those binaries"), "{text}");
    let caps = mlcontain::engine_caps::detect_caps(Engine::Docker);
    if caps.classic_docker_driver() {
        // This engine (the classic image store) is named too, with the fix.
        assert!(
            text.contains("cannot build or store a multi-platform image"),
            "{text}"
        );
        assert!(text.contains("containerd-snapshotter"), "{text}");
    }
    assert!(
        !image_exists(&format!("{project}-training")),
        "nothing is built when the build is refused"
    );
    // One platform, the base's own, is not refused by the check (dry run:
    // the command that would run).
    let o = support::mlcontain(
        dir,
        &[
            "build",
            "--dry-run",
            "--target",
            "training",
            "--platform",
            "linux/amd64",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
}

#[test]
fn bake_with_a_registry_cache_is_refused_on_an_engine_that_cannot_export_it() {
    if support::docker_engine().is_none() {
        return;
    }
    let caps = mlcontain::engine_caps::detect_caps(Engine::Docker);
    if !caps.classic_docker_driver() {
        eprintln!(
            "SKIP: this engine (driver `{}`, containerd store {}) can export a build cache; scripts/e2e-bake.sh covers that side",
            caps.driver, caps.containerd_store
        );
        return;
    }
    let d = support::copy_fixture("sklearn-cpu");
    let dir = d.path();
    let o = support::mlcontain(
        dir,
        &[
            "init",
            "--yes",
            "--stages",
            "training",
            "--bake",
            "--registry",
            "127.0.0.1:5999/i14",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = support::mlcontain(dir, &["build", "--bake"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("cannot export a build cache"), "{text}");
    assert!(text.contains("containerd-snapshotter"), "{text}");
    assert!(text.contains("docker-container"), "{text}");
}
