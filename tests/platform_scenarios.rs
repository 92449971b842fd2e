//! Planner scenarios for today's hosts (issue 12): the GPUs and driver come
//! from the fake NVML library (tests/fake_nvml) through mlcontain's own
//! detection, the CPU platform from `--platform`. Each asserts the build the
//! planner chooses by default per framework, what it refuses and the words
//! of the refusal.

mod common;

use common::fake_nvml::fake_nvml_lib;
use mlcontain::choices::{Accel, Choices};
use mlcontain::detect::nvml::detect_gpus_from;
use mlcontain::facts::Facts;
use mlcontain::plan::{plan, Plan, PlanError};
use mlcontain::platform::Platform;
use mlcontain::version::Version;

const AMD64: Platform = Platform::Amd64;
const ARM64: Platform = Platform::Arm64;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

/// The host as detection sees it through the fake NVML scenario.
fn host(scenario: &str) -> Facts {
    let mut facts = Facts::default();
    detect_gpus_from(fake_nvml_lib(scenario).as_os_str()).apply(&mut facts);
    assert!(facts.nvml.available, "{scenario}: {:?}", facts.nvml);
    facts
}

fn choose(fw: &str, platform: Platform) -> Choices {
    Choices {
        framework: Some(fw.into()),
        platform: Some(vec![platform]),
        ..Default::default()
    }
}

fn ok(facts: &Facts, c: &Choices) -> Plan {
    plan(facts, c).unwrap_or_else(|e| panic!("plan failed: {e}"))
}

fn refused(facts: &Facts, c: &Choices) -> String {
    match plan(facts, c) {
        Err(PlanError::Incompatible(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn why(p: &Plan, topic: &str) -> String {
    p.explain(topic).join(" | ")
}

/// The default CUDA build: (framework version, tag).
fn default_build(facts: &Facts, fw: &str, platform: Platform) -> (String, String) {
    let p = ok(facts, &choose(fw, platform));
    let tag = p
        .cuda
        .as_ref()
        .and_then(|c| c.tag.clone())
        .unwrap_or_else(|| "cpu".into());
    (
        p.framework_version
            .map(|v| v.to_string())
            .unwrap_or_default(),
        tag,
    )
}

fn pair(v: &str, tag: &str) -> (String, String) {
    (v.to_string(), tag.to_string())
}

/// The newest release of a framework in the catalog's view for a platform
/// (computed from the catalog, independently of the planner).
fn newest(fw: &str, platform: Platform) -> String {
    mlcontain::catalog::Catalog::embedded_for(&[platform])
        .framework(fw)
        .unwrap()
        .newest()
        .unwrap()
        .version
        .to_string()
}

fn with_cuda(mut c: Choices, cuda: &str) -> Choices {
    c.cuda = Some(Accel::Cuda(v(cuda)));
    c
}

#[test]
fn eight_b200_on_r570() {
    let h = host("b200x8_570");
    assert_eq!(h.gpus.len(), 8);
    // CUDA 13 needs R580: the newest PyTorch with a CUDA 12.8 build.
    assert_eq!(default_build(&h, "pytorch", AMD64), pair("2.11.0", "cu128"));
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda12")
    );
    // TensorFlow (CUDA 12.5, PTX ISA 8.5) cannot JIT for sm_100.
    let p = ok(&h, &choose("tensorflow", AMD64));
    assert!(p.cuda.is_none());
    let w = why(&p, "cuda");
    assert!(w.contains("PTX ISA 8.5"), "{w}");
    assert!(w.contains("sm_100, which needs PTX ISA ≥ 8.6"), "{w}");
    let m = refused(&h, &with_cuda(choose("tensorflow", AMD64), "12.5"));
    assert!(m.contains("B200 (sm_100)"), "{m}");
    assert!(m.contains("needs PTX ISA ≥ 8.6"), "{m}");
    // XGBoost's CUDA wheels are not the default (kernel list not confirmed).
    let p = ok(&h, &choose("xgboost", AMD64));
    assert!(p.cuda.is_none());
    assert!(
        why(&p, "cuda").contains("not confirmed"),
        "{}",
        why(&p, "cuda")
    );
    // Asking for CUDA 13: refused, naming the branch and the forward-compatibility exception.
    let m = refused(&h, &with_cuda(choose("pytorch", AMD64), "13.2"));
    assert!(m.contains("CUDA 13.2 needs driver ≥ 580.65.06"), "{m}");
    assert!(
        m.contains("this host has 570.172.08 (R570, CUDA ≤ 12.8)"),
        "{m}"
    );
    assert!(m.contains("cuda-compat-13-2"), "{m}");
    assert!(m.contains("data-center GPUs"), "{m}");
}

#[test]
fn eight_b200_on_r580() {
    let h = host("b200x8_580");
    // 2.15.0+cu132: CUDA 13.2 on the R580 driver (13.0) through minor-version compatibility.
    let p = ok(&h, &choose("pytorch", AMD64));
    assert_eq!(p.framework_version, Some(v("2.15.0")));
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.tag.as_deref(), Some("cu132"));
    assert!(
        why(&p, "cuda").contains("minor-version compatibility"),
        "{}",
        why(&p, "cuda")
    );
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda13")
    );
    let p = ok(&h, &choose("tensorflow", AMD64));
    assert!(p.cuda.is_none());
    assert!(why(&p, "cuda").contains("needs PTX ISA ≥ 8.6"));
    // The unconfirmed 2.15.0+cu130 is offered when asked for, never by default.
    let p = ok(&h, &with_cuda(choose("pytorch", AMD64), "13.0"));
    assert_eq!(p.framework_version, Some(v("2.15.0")));
    assert!(
        p.warnings.iter().any(|w| w.contains("not confirmed")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn gb200_on_arm64_r580() {
    let h = host("gb200_580");
    assert_eq!(h.gpus.len(), 4);
    let p = ok(&h, &choose("pytorch", ARM64));
    assert_eq!(
        p.framework_requirement.as_ref().unwrap().requirement,
        // PyPI's aarch64 torch 2.15.0 is the cu132 build (assets/catalog.yaml).
        "torch==2.15.0"
    );
    assert_eq!(p.framework_requirement.as_ref().unwrap().index, None);
    assert!(
        why(&p, "platform").contains("linux/arm64"),
        "{}",
        why(&p, "platform")
    );
    // TensorFlow on Linux aarch64 is CPU-only: never tensorflow[and-cuda].
    let p = ok(&h, &choose("tensorflow", ARM64));
    assert!(p.cuda.is_none());
    let req = &p.framework_requirement.as_ref().unwrap().requirement;
    assert_eq!(req, &format!("tensorflow=={}", newest("tensorflow", ARM64)));
    assert!(
        why(&p, "cuda").contains("no CUDA build for linux/arm64"),
        "{}",
        why(&p, "cuda")
    );
    let e = plan(&h, &with_cuda(choose("tensorflow", ARM64), "12.5")).unwrap_err();
    assert!(e.to_string().contains("linux/arm64"), "{e}");
    assert_eq!(
        default_build(&h, "jax", ARM64),
        pair(&newest("jax", ARM64), "cuda13")
    );
}

#[test]
fn gb10_on_arm64() {
    let h = host("gb10_580");
    // sm_121 runs the sm_120 SASS of the aarch64 cu132 wheel.
    assert_eq!(default_build(&h, "pytorch", ARM64), pair("2.15.0", "cu132"));
    assert_eq!(
        default_build(&h, "jax", ARM64),
        pair(&newest("jax", ARM64), "cuda13")
    );
    let p = ok(&h, &choose("tensorflow", ARM64));
    assert!(p.cuda.is_none());
}

#[test]
fn rtx_pro_6000_on_r575_and_r595() {
    let h = host("rtxpro6000_575");
    assert_eq!(default_build(&h, "pytorch", AMD64), pair("2.11.0", "cu128"));
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda12")
    );
    let p = ok(&h, &choose("tensorflow", AMD64));
    assert!(
        why(&p, "cuda").contains("sm_120, which needs PTX ISA ≥ 8.7"),
        "{}",
        why(&p, "cuda")
    );
    // A workstation card: no forward-compatibility exception.
    let m = refused(&h, &with_cuda(choose("pytorch", AMD64), "13.0"));
    assert!(m.contains("R575, CUDA ≤ 12.9"), "{m}");
    assert!(m.contains("forward compatibility"), "{m}");
    assert!(
        m.contains("not for RTX PRO 6000 Blackwell Workstation Edition"),
        "{m}"
    );

    let h = host("rtxpro6000_595");
    let p = ok(&h, &choose("pytorch", AMD64));
    assert_eq!(p.framework_version, Some(v("2.15.0")));
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cu132"));
    assert!(
        !why(&p, "cuda").contains("minor-version"),
        "13.2 is the driver's own"
    );
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda13")
    );
}

#[test]
fn jetson_thor_on_arm64() {
    let h = host("thor_580");
    // Thor is sm_110 under CUDA 13 (sm_101 before): the aarch64 cu13x wheels carry it.
    assert_eq!(default_build(&h, "pytorch", ARM64), pair("2.15.0", "cu132"));
    assert_eq!(
        default_build(&h, "jax", ARM64),
        pair(&newest("jax", ARM64), "cuda13")
    );
    // The x86_64 lists do not carry sm_110: planning for amd64 refuses CUDA.
    let m = refused(
        &h,
        &Choices {
            framework_version: Some(v("2.14.1")),
            ..with_cuda(choose("pytorch", AMD64), "13.0")
        },
    );
    assert!(
        m.contains("Thor (sm_110) has no kernels in PyTorch 2.14.1"),
        "{m}"
    );
    // An aarch64 CUDA 12.8 build has no sm_110 either.
    let m = refused(
        &h,
        &Choices {
            framework_version: Some(v("2.11.0")),
            ..with_cuda(choose("pytorch", ARM64), "12.8")
        },
    );
    assert!(m.contains("Thor (sm_110)"), "{m}");
    assert!(m.contains("sm_80 sm_90 sm_100 sm_120"), "{m}");
}

#[test]
fn eight_h200_on_r590() {
    let h = host("h200x8_590");
    let p = ok(&h, &choose("pytorch", AMD64));
    assert_eq!(p.framework_version, Some(v("2.15.0")));
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cu132"));
    assert!(why(&p, "cuda").contains("minor-version compatibility"));
    // Hopper has sm_90 SASS in TensorFlow's build (compute_90 is SASS and PTX).
    assert_eq!(
        default_build(&h, "tensorflow", AMD64),
        pair(&newest("tensorflow", AMD64), "and-cuda")
    );
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda13")
    );
}

#[test]
fn v100_and_h100_on_r580() {
    let h = host("v100_h100_580");
    // CUDA 13 has no sm_70: the whole host stays on CUDA 12, where Volta stops at 2.14.1+cu126.
    assert_eq!(default_build(&h, "pytorch", AMD64), pair("2.14.1", "cu126"));
    assert_eq!(
        default_build(&h, "tensorflow", AMD64),
        pair(&newest("tensorflow", AMD64), "and-cuda")
    );
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda12")
    );
    let m = refused(&h, &with_cuda(choose("pytorch", AMD64), "13.0"));
    assert!(m.contains("CUDA 13 supports no GPU below sm_75"), "{m}");
    assert!(m.contains("Tesla V100-SXM2-32GB (sm_70)"), "{m}");
    assert!(
        m.contains("R580 is the last driver branch for Maxwell, Pascal and Volta"),
        "{m}"
    );
    // The same for a CUDA 13 image.
    let m = refused(
        &h,
        &Choices {
            framework: Some("none".into()),
            cuda: Some(Accel::Cuda(v("13.0"))),
            platform: Some(vec![AMD64]),
            ..Default::default()
        },
    );
    assert!(m.contains("CUDA 13 supports no GPU below sm_75"), "{m}");
}

#[test]
fn gtx_1080_ti_on_r580() {
    let h = host("gtx1080ti_580");
    assert_eq!(default_build(&h, "pytorch", AMD64), pair("2.14.1", "cu126"));
    assert_eq!(
        default_build(&h, "tensorflow", AMD64),
        pair(&newest("tensorflow", AMD64), "and-cuda")
    );
    assert_eq!(
        default_build(&h, "jax", AMD64),
        pair(&newest("jax", AMD64), "cuda12")
    );
    let m = refused(&h, &with_cuda(choose("jax", AMD64), "13.0"));
    assert!(m.contains("GeForce GTX 1080 Ti (sm_61)"), "{m}");
    assert!(m.contains("CUDA 13 supports no GPU below sm_75"), "{m}");
    assert!(m.contains("R580 is the last driver branch"), "{m}");
    // PyTorch 2.15 has no build for it at all.
    let m = refused(
        &h,
        &Choices {
            framework_version: Some(v("2.15.0")),
            ..choose("pytorch", AMD64)
        },
    );
    assert!(
        m.contains("no build of PyTorch 2.15.0 runs on this host's GPUs"),
        "{m}"
    );
}

#[test]
fn a100_on_r470() {
    let h = host("a100_470");
    // CUDA 11.8 wheels run on R470 (CUDA 11.4) through minor-version compatibility.
    let p = ok(&h, &choose("pytorch", AMD64));
    assert_eq!(p.framework_version, Some(v("2.7.1")));
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cu118"));
    assert!(why(&p, "cuda").contains("minor-version compatibility"));
    assert_eq!(
        default_build(&h, "tensorflow", AMD64),
        pair("2.14.1", "and-cuda")
    );
    // JAX has CUDA 12+ builds only.
    let p = ok(&h, &choose("jax", AMD64));
    assert!(p.cuda.is_none());
    assert!(
        why(&p, "cuda").contains("needs driver ≥ 525.60.13"),
        "{}",
        why(&p, "cuda")
    );
    let m = refused(&h, &with_cuda(choose("pytorch", AMD64), "12.6"));
    assert!(
        m.contains("CUDA 12.6 needs driver ≥ 525.60.13; this host has 470.256.02"),
        "{m}"
    );
}

#[test]
fn multi_platform_plans_keep_what_every_platform_runs() {
    let h = host("gb200_580");
    let c = Choices {
        platform: Some(vec![AMD64, ARM64]),
        ..choose("pytorch", AMD64)
    };
    let p = ok(&h, &c);
    assert_eq!(p.platforms, vec![AMD64, ARM64]);
    assert_eq!(p.framework_version, Some(v("2.15.0")));
    // TensorFlow: CPU everywhere (aarch64 has no CUDA build).
    let c = Choices {
        platform: Some(vec![AMD64, ARM64]),
        ..choose("tensorflow", AMD64)
    };
    assert!(ok(&h, &c).cuda.is_none());
}
