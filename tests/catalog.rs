//! Consistency of the compatibility catalog (assets/catalog.yaml).

use mlcontain::catalog::{Catalog, CATALOG_YAML};
use mlcontain::version::{ComputeCapability, Version};

fn cat() -> &'static Catalog {
    Catalog::embedded()
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn cc(s: &str) -> ComputeCapability {
    s.parse().unwrap()
}

#[test]
fn parses_and_has_a_date() {
    let c = Catalog::parse(CATALOG_YAML).expect("catalog parses");
    let d = &c.updated;
    assert_eq!(d.len(), 10, "updated: YYYY-MM-DD, got {d}");
    assert!(d.chars().filter(|c| *c == '-').count() == 2);
    // Sources are cited in comments.
    assert!(CATALOG_YAML.contains("docs.nvidia.com/cuda/cuda-toolkit-release-notes"));
    assert!(CATALOG_YAML.contains("pytorch.org"));
}

#[test]
fn toolkits_are_sorted_and_known_facts_hold() {
    let c = cat();
    assert!(c.cuda.windows(2).all(|w| w[0].version < w[1].version));
    for want in ["11.8", "12.1", "12.4", "12.6", "12.8", "12.9", "13.0"] {
        assert!(c.toolkit(&v(want)).is_some(), "CUDA {want} missing");
    }
    // Driver minimums grow with the toolkit.
    assert!(c.cuda.windows(2).all(|w| w[0].min_driver < w[1].min_driver));
    assert_eq!(c.major_min_driver(12), Some(&v("525.60.13")));
    assert!(c.major_min_driver(13).unwrap() >= &v("580"));
    // Architectures: 12.0 dropped sm_35/37, 12.8 added sm_100/sm_120,
    // 13.0 dropped sm_50..sm_72.
    let archs = |t: &str| c.toolkit(&v(t)).unwrap().archs.clone();
    assert!(archs("11.8").contains(&cc("3.7")));
    assert!(!archs("12.1").contains(&cc("3.7")));
    assert!(!archs("12.6").contains(&cc("12.0")));
    assert!(archs("12.8").contains(&cc("12.0")) && archs("12.8").contains(&cc("10.0")));
    assert!(!archs("13.0")
        .iter()
        .any(|a| a.major < 7 || *a == cc("7.0") || *a == cc("7.2")));
    assert!(archs("13.0").contains(&cc("7.5")));
    for t in &c.cuda {
        assert!(
            t.archs.windows(2).all(|w| w[0] < w[1]),
            "{} archs sorted",
            t.version
        );
        assert!(
            t.image.matches_prefix(&t.version),
            "{} image {}",
            t.version,
            t.image
        );
        assert!(!t.ubuntu.is_empty());
        for u in &t.ubuntu {
            assert!(
                c.ubuntu_python.contains_key(u),
                "Ubuntu {u} has no Python entry"
            );
        }
    }
}

#[test]
fn cudnn_tag_naming_follows_the_image_history() {
    // cudnn8- up to 12.2, cudnn9- at 12.3, plain cudnn- from 12.4.1.
    for t in &cat().cuda {
        let want = if t.version <= v("12.2") {
            "cudnn8-"
        } else if t.version == v("12.3") {
            "cudnn9-"
        } else {
            "cudnn-"
        };
        assert_eq!(t.cudnn, want, "CUDA {}", t.version);
    }
    let t = cat().toolkit(&v("12.4")).unwrap();
    assert_eq!(
        cat().cuda_image(t, "runtime", true, "22.04"),
        "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"
    );
    let t = cat().toolkit(&v("11.8")).unwrap();
    assert_eq!(
        cat().cuda_image(t, "devel", true, "22.04"),
        "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"
    );
}

#[test]
fn framework_releases_are_consistent() {
    let c = cat();
    let ids = c.framework_ids();
    for want in [
        "pytorch",
        "tensorflow",
        "jax",
        "sklearn",
        "xgboost",
        "lightgbm",
        "none",
    ] {
        assert!(ids.contains(&want), "{want} missing");
    }
    for fw in &c.frameworks {
        assert!(
            fw.releases.windows(2).all(|w| w[0].version < w[1].version),
            "{} releases sorted",
            fw.id
        );
        if !fw.is_none() {
            assert!(
                fw.cpu_requirement.is_some(),
                "{} has a CPU requirement",
                fw.id
            );
            assert!(!fw.releases.is_empty(), "{} has releases", fw.id);
        }
        for r in &fw.releases {
            assert!(!r.python.is_empty());
            assert!(
                r.python.windows(2).all(|w| w[0] < w[1]),
                "{} {}",
                fw.id,
                r.version
            );
            for p in &r.python {
                assert!(
                    c.python_versions.contains(p),
                    "{} {}: Python {p} unknown",
                    fw.id,
                    r.version
                );
            }
            assert!(
                r.builds.windows(2).all(|w| w[0].cuda < w[1].cuda),
                "{} {} builds sorted",
                fw.id,
                r.version
            );
            for b in &r.builds {
                let major = b.cuda.major();
                assert!(
                    c.major_min_driver(major).is_some(),
                    "{} {}: CUDA major {major}",
                    fw.id,
                    r.version
                );
                assert!(
                    fw.cuda_requirement.is_some(),
                    "{}: CUDA build without a requirement",
                    fw.id
                );
                // Every build has an index, or its requirement needs none (PyPI).
                let req = fw.cuda_requirement(&r.version, b).unwrap();
                assert!(
                    fw.cuda_index(b).is_some() || !req.contains('+'),
                    "{} {} {}: no index",
                    fw.id,
                    r.version,
                    b.tag
                );
                assert!(
                    !b.sass.is_empty() || b.floor.is_some(),
                    "{} {} {}: no kernels and no floor",
                    fw.id,
                    r.version,
                    b.tag
                );
                assert!(
                    b.sass.windows(2).all(|w| w[0] < w[1]),
                    "{} {} {} sass sorted",
                    fw.id,
                    r.version,
                    b.tag
                );
                // A build's SASS is something its toolkit (or that major's newest) can build.
                let tk_archs: Vec<ComputeCapability> = c
                    .cuda
                    .iter()
                    .filter(|t| t.version.major() == major)
                    .flat_map(|t| t.archs.clone())
                    .collect();
                for s in &b.sass {
                    assert!(
                        tk_archs.contains(s),
                        "{} {} {}: {} not buildable with CUDA {major}",
                        fw.id,
                        r.version,
                        b.tag,
                        s.sm()
                    );
                }
            }
        }
    }
}

#[test]
fn pytorch_architecture_history() {
    let fw = cat().framework("pytorch").unwrap();
    let build = |ver: &str, tag: &str| {
        fw.release(&v(ver))
            .unwrap()
            .builds
            .iter()
            .find(|b| b.tag == tag)
            .unwrap_or_else(|| panic!("{ver} {tag}"))
            .clone()
    };
    // sm_120 first appears in 2.7 cu128.
    for r in &fw.releases {
        for b in &r.builds {
            if b.sass.contains(&cc("12.0")) {
                assert!(
                    r.version >= v("2.7") && b.cuda >= v("12.8"),
                    "{} {}",
                    r.version,
                    b.tag
                );
            }
        }
    }
    assert!(build("2.7.1", "cu128").sass.contains(&cc("12.0")));
    // 2.7.1 cu128 on Linux x86_64: 7.5;8.0;8.6;9.0;10.0;12.0 + PTX 12.0, no
    // sm_50..sm_70 (the Windows wheel's list is not the Linux one).
    let b271 = build("2.7.1", "cu128");
    assert_eq!(b271.sass.first(), Some(&cc("7.5")), "{:?}", b271.sass);
    assert_eq!(b271.ptx, vec![cc("12.0")]);
    assert!(!build("2.8.0", "cu128").sass.contains(&cc("6.0")));
    // cu126 kept Maxwell..Volta; 2.15 has no cu126, so Pascal/Volta stop at 2.14.1.
    assert!(build("2.14.1", "cu126").sass.contains(&cc("6.0")));
    assert!(fw
        .release(&v("2.15.0"))
        .unwrap()
        .build_for(&v("12.6"))
        .is_none());
    assert!(build("2.9.1", "cu126").sass.contains(&cc("6.0")));
    assert!(!build("2.9.1", "cu130").sass.contains(&cc("7.0")));
    let idx = fw.cuda_index(&build("2.5.1", "cu124")).unwrap();
    assert!(idx.ends_with("/whl/cu124"), "{idx}");
    assert_eq!(
        fw.cuda_requirement(&v("2.5.1"), &build("2.5.1", "cu124"))
            .unwrap(),
        "torch==2.5.1+cu124"
    );
}

#[test]
fn images_render_for_every_python() {
    let c = cat();
    for p in &c.python_versions {
        let img = c.python_image(p);
        assert_eq!(img, format!("python:{p}-slim"));
    }
    assert!(c.python_versions.windows(2).all(|w| w[0] < w[1]));
    assert!(c.python_versions.contains(&c.default_python));
}

use mlcontain::catalog::KernelFit;
use mlcontain::platform::Platform;

fn raw() -> &'static Catalog {
    Catalog::embedded_raw()
}

#[test]
fn compatibility_rules_hold_for_the_embedded_catalog() {
    // The same rules an overlay is held to (Catalog::validate).
    assert_eq!(raw().validate(), Ok(()));
    assert_eq!(raw().updated, "2026-12-01");
}

#[test]
fn every_build_is_per_platform() {
    let c = raw();
    for fw in &c.frameworks {
        for r in &fw.releases {
            for b in &r.builds {
                assert!(
                    b.amd64.is_some() || b.arm64.is_some(),
                    "{} {} {}",
                    fw.id,
                    r.version,
                    b.tag
                );
                for p in Platform::ALL {
                    if b.kernels(p).is_some() {
                        assert!(r.platforms.contains(&p), "{} {} {}", fw.id, r.version, p);
                    }
                }
            }
        }
    }
    for t in &c.cuda {
        assert!(!t.platforms.is_empty(), "CUDA {}", t.version);
    }
    assert_eq!(c.images.platforms, Platform::ALL.to_vec());
    let ids: Vec<Platform> = c.platforms.iter().map(|p| p.id).collect();
    assert_eq!(ids, Platform::ALL.to_vec());
    for p in &c.platforms {
        assert_eq!(p.docker, p.id.docker());
        assert_eq!(p.arch, p.id.arch());
    }
}

fn view(ps: &[Platform]) -> Catalog {
    Catalog::embedded_for(ps)
}

fn build_in<'a>(
    c: &'a Catalog,
    fw: &str,
    ver: &str,
    tag: &str,
) -> Option<&'a mlcontain::catalog::Build> {
    c.framework(fw)
        .unwrap()
        .releases
        .iter()
        .find(|r| r.version == v(ver))?
        .builds
        .iter()
        .find(|b| b.tag == tag)
}

#[test]
fn arm64_kernel_lists_and_wheels() {
    let arm = view(&[Platform::Arm64]);
    let amd = view(&[Platform::Amd64]);
    // PyTorch 2.14 cu130/cu132 on aarch64: 8.0;9.0;10.0;11.0;12.0 + PTX 12.0.
    for tag in ["cu130", "cu132"] {
        let b = build_in(&arm, "pytorch", "2.14.1", tag).unwrap();
        assert_eq!(
            b.sass,
            ["8.0", "9.0", "10.0", "11.0", "12.0"].map(cc).to_vec(),
            "{tag}"
        );
        assert_eq!(b.ptx, vec![cc("12.0")]);
        // sm_110 (Jetson Thor) is in the aarch64 builds only.
        assert!(!build_in(&amd, "pytorch", "2.14.1", tag)
            .unwrap()
            .sass
            .contains(&cc("11.0")));
    }
    // cu126 aarch64 only 8.0;9.0, cu128 aarch64 8.0;9.0;10.0;12.0.
    assert_eq!(
        build_in(&arm, "pytorch", "2.14.1", "cu126").unwrap().sass,
        ["8.0", "9.0"].map(cc).to_vec()
    );
    assert_eq!(
        build_in(&arm, "pytorch", "2.11.0", "cu128").unwrap().sass,
        ["8.0", "9.0", "10.0", "12.0"].map(cc).to_vec()
    );
    // 2.15.0+cu132 measured from its wheels, both without PTX.
    let x = build_in(&amd, "pytorch", "2.15.0", "cu132").unwrap();
    assert_eq!(
        x.sass,
        ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]
            .map(cc)
            .to_vec()
    );
    assert!(x.ptx.is_empty());
    let a = build_in(&arm, "pytorch", "2.15.0", "cu132").unwrap();
    assert_eq!(
        a.sass,
        ["8.0", "9.0", "10.0", "11.0", "12.0"].map(cc).to_vec()
    );
    assert!(a.ptx.is_empty());
    // PyPI's aarch64 torch 2.14.1 and 2.15.0 are CUDA builds.
    let torch_arm = arm.framework("pytorch").unwrap();
    assert_eq!(
        torch_arm.release(&v("2.14.1")).unwrap().pypi.as_deref(),
        Some("cu130")
    );
    assert_eq!(
        torch_arm.release(&v("2.15.0")).unwrap().pypi.as_deref(),
        Some("cu132")
    );
    // Releases whose aarch64 lists were not confirmed are not offered there.
    assert!(torch_arm.releases.iter().all(|r| r.version >= v("2.11")));
    // TensorFlow on Linux aarch64 is CPU-only, installed as `tensorflow`.
    let tf = arm.framework("tensorflow").unwrap();
    assert!(!tf.releases.is_empty());
    assert!(tf.releases.iter().all(|r| r.builds.is_empty()));
    assert_eq!(
        tf.cpu_requirement(&v("2.21.0")).unwrap(),
        "tensorflow==2.21.0"
    );
    assert_eq!(
        amd.framework("tensorflow")
            .unwrap()
            .cpu_requirement(&v("2.21.0"))
            .unwrap(),
        "tensorflow-cpu==2.21.0"
    );
    // JAX: same lists on both platforms.
    assert_eq!(
        build_in(&arm, "jax", "0.12.0.1", "cuda13").unwrap().sass,
        build_in(&amd, "jax", "0.12.0.1", "cuda13").unwrap().sass
    );
}

#[test]
fn a_multi_platform_view_keeps_what_both_carry() {
    let both = view(&Platform::ALL);
    assert_eq!(both.resolved_for, Platform::ALL.to_vec());
    let b = build_in(&both, "pytorch", "2.14.1", "cu130").unwrap();
    // x86_64 7.5..12.0 and aarch64 8.0..12.0: the common part.
    assert_eq!(b.sass, ["8.0", "9.0", "10.0", "12.0"].map(cc).to_vec());
    assert!(both
        .framework("tensorflow")
        .unwrap()
        .releases
        .iter()
        .all(|r| r.builds.is_empty()));
    // Re-resolving a view starts from the raw catalog, not from the view.
    let again = both.for_platforms(&[Platform::Amd64]);
    assert_eq!(
        build_in(&again, "pytorch", "2.14.1", "cu130").unwrap().sass,
        build_in(&view(&[Platform::Amd64]), "pytorch", "2.14.1", "cu130")
            .unwrap()
            .sass
    );
    assert!(again
        .framework("pytorch")
        .unwrap()
        .release(&v("2.1.2"))
        .is_some());
}

#[test]
fn ptx_isa_decides_what_jit_can_target() {
    let c = cat();
    assert_eq!(c.ptx_isa_needed(cc("10.0")), Some(v("8.6")));
    assert_eq!(c.ptx_isa_needed(cc("10.1")), Some(v("8.6")));
    assert_eq!(c.ptx_isa_needed(cc("12.0")), Some(v("8.7")));
    assert_eq!(c.ptx_isa(&v("12.5")), Some(&v("8.5")));
    assert_eq!(c.ptx_isa(&v("12.8")), Some(&v("8.7")));
    // PTX ISA grows with the toolkit.
    let isas: Vec<&Version> = c.cuda.iter().filter_map(|t| t.ptx_isa.as_ref()).collect();
    assert!(isas.windows(2).all(|w| w[0] <= w[1]), "{isas:?}");
    // Every TensorFlow CUDA build (CUDA <= 12.5, PTX ISA <= 8.5) is refused on
    // Blackwell by the ISA rule, and runs SASS on Hopper.
    let tf = c.framework("tensorflow").unwrap();
    for r in &tf.releases {
        for b in &r.builds {
            assert!(
                b.cuda <= v("12.5"),
                "TensorFlow {} built with CUDA {}",
                r.version,
                b.cuda
            );
            for gpu in ["10.0", "12.0"] {
                let f = c.fit(b, cc(gpu));
                assert!(!f.runs(), "TensorFlow {} on {gpu}: {f:?}", r.version);
            }
        }
    }
    let b221 = build_in(c, "tensorflow", "2.21.0", "and-cuda").unwrap();
    assert_eq!(b221.ptx, vec![cc("9.0")]);
    assert!(
        b221.sass.contains(&cc("9.0")),
        "compute_90 is SASS sm_90 too"
    );
    assert!(matches!(
        c.fit(b221, cc("12.0")),
        KernelFit::PtxIsa { ref isa, ref need, .. } if *isa == v("8.5") && *need == v("8.7")
    ));
    assert_eq!(c.fit(b221, cc("9.0")), KernelFit::Sass(cc("9.0")));
    // JAX 0.6+ cuda12 (CUDA 12.8) carries compute_120: fine on sm_120 and sm_121.
    let j = build_in(c, "jax", "0.6.2", "cuda12").unwrap();
    assert_eq!(
        j.sass,
        ["5.0", "6.0", "7.0", "8.0", "9.0", "10.0", "12.0"]
            .map(cc)
            .to_vec()
    );
    assert!(c.fit(j, cc("12.1")).runs());
    // 0.10.2 adds sm_101 (cuda12) and sm_110 (cuda13).
    assert!(build_in(c, "jax", "0.10.2", "cuda12")
        .unwrap()
        .sass
        .contains(&cc("10.1")));
    assert!(build_in(c, "jax", "0.10.2", "cuda13")
        .unwrap()
        .sass
        .contains(&cc("11.0")));
    assert!(!build_in(c, "jax", "0.9.2", "cuda13")
        .unwrap()
        .sass
        .contains(&cc("11.0")));
}

#[test]
fn driver_branches_and_cutoffs() {
    let c = cat();
    for (branch, cuda) in [
        (570, "12.8"),
        (575, "12.9"),
        (580, "13.0"),
        (590, "13.1"),
        (595, "13.2"),
        (610, "13.3"),
        (615, "13.4"),
    ] {
        let b = c.branch_cuda(&v(&format!("{branch}.10.01"))).unwrap();
        assert_eq!((b.branch, b.cuda.clone()), (branch, v(cuda)));
        let t = c.toolkit(&v(cuda));
        if let Some(t) = t {
            // A toolkit's driver is on a branch that supports it.
            assert!(c.branch_cuda(&t.min_driver).unwrap().cuda >= t.version.major_minor());
        }
    }
    // A branch not listed counts as the one below it.
    assert_eq!(c.branch_cuda(&v("585.1")).unwrap().branch, 580);
    assert_eq!(c.branch_for_cuda(&v("13.2")).unwrap().branch, 595);
    // R580 is the last branch for Maxwell, Pascal and Volta; R470 for Kepler.
    assert_eq!(c.driver_cutoff(cc("6.1")).unwrap().last_branch, 580);
    assert_eq!(c.driver_cutoff(cc("7.0")).unwrap().last_branch, 580);
    assert_eq!(c.driver_cutoff(cc("3.7")).unwrap().last_branch, 470);
    assert!(c.driver_cutoff(cc("7.5")).is_none());
    // CUDA 13 refuses hosts with a GPU below sm_75, and no 13.x build claims one.
    assert_eq!(c.cuda_major_floor(13), Some(cc("7.5")));
    for fw in &raw().frameworks {
        for r in &fw.releases {
            for b in r.builds.iter().filter(|b| b.cuda.major() == 13) {
                for p in Platform::ALL {
                    if let Some(k) = b.kernels(p) {
                        assert!(k.sass.iter().chain(&k.floor).all(|s| *s >= cc("7.5")));
                    }
                }
            }
        }
    }
    // Today's toolkits.
    for (ver, image) in [
        ("13.0", "13.0.3"),
        ("13.1", "13.1.2"),
        ("13.2", "13.2.2"),
        ("13.3", "13.3.1"),
        ("13.4", "13.4.1"),
    ] {
        assert_eq!(c.toolkit(&v(ver)).unwrap().image, v(image));
    }
    assert!(c
        .toolkit(&v("13.2"))
        .unwrap()
        .ubuntu
        .contains(&"22.04".to_string()));
    assert!(c.python_versions.contains(&v("3.15")));
    assert!(c
        .images
        .conda_builder
        .starts_with("condaforge/miniforge3:26."));
    // Data-center GPUs (forward compatibility) by name.
    assert!(c.is_data_center("NVIDIA B200"));
    assert!(c.is_data_center("NVIDIA H100 80GB HBM3"));
    assert!(c.is_data_center("NVIDIA A100-SXM4-80GB"));
    assert!(!c.is_data_center("NVIDIA GeForce RTX 5090"));
    assert!(!c.is_data_center("NVIDIA RTX A1000"));
    assert!(!c.is_data_center("NVIDIA RTX PRO 6000 Blackwell Workstation Edition"));
}

#[test]
fn unconfirmed_builds_are_marked() {
    let c = cat();
    let torch = c.framework("pytorch").unwrap();
    assert!(
        !torch
            .release(&v("2.15.0"))
            .unwrap()
            .build_for(&v("13.0"))
            .unwrap()
            .confirmed
    );
    assert!(
        torch
            .release(&v("2.15.0"))
            .unwrap()
            .build_for(&v("13.2"))
            .unwrap()
            .confirmed
    );
    // XGBoost's CUDA wheels: documented floor only, never a default.
    let x = c.framework("xgboost").unwrap();
    for r in &x.releases {
        for b in &r.builds {
            assert!(!b.confirmed && b.floor.is_some(), "{} {}", r.version, b.tag);
        }
    }
    assert_eq!(x.release(&v("3.4.1")).unwrap().builds[0].cuda.major(), 13);
    assert_eq!(x.release(&v("3.3.0")).unwrap().python[0], v("3.12"));
    assert!(CATALOG_YAML.contains("not confirmed"));
}

#[test]
fn addons_know_their_cuda_majors() {
    let c = cat();
    let (a, var) = c.addon_for("cupy-cuda13x", None).unwrap();
    assert_eq!(
        (a.id.as_str(), var.cuda_major, var.floor),
        ("cupy", 13, Some(cc("7.5")))
    );
    assert_eq!(c.addon_for("cupy-cuda12x", None).unwrap().1.cuda_major, 12);
    assert_eq!(
        c.addon_for("cudf-cu12", None).unwrap().1.floor,
        Some(cc("7.0"))
    );
    // onnxruntime-gpu: CUDA 13 from 1.31 on; older releases are not checked.
    assert_eq!(
        c.addon_for("onnxruntime-gpu", Some(&v("1.31.1")))
            .unwrap()
            .1
            .cuda_major,
        13
    );
    assert!(c.addon_for("onnxruntime-gpu", Some(&v("1.20.1"))).is_none());
}

#[test]
fn an_overlay_merges_over_the_embedded_catalog_and_is_checked() {
    let overlay = r#"
updated: "2026-12-15"
sources: ["local mirror audit"]
frameworks:
  - id: pytorch
    releases:
      - version: "2.15.1"
        pypi: cu132
        python: ["3.11", "3.12", "3.13", "3.14", "3.15"]
        builds:
          - {cuda: "13.2", tag: cu132, amd64: {sass: ["7.5", "8.0", "9.0", "10.0", "12.0"]}}
"#;
    let c = Catalog::with_overlay(overlay, "overlay.yaml").expect("overlay merges");
    let o = c.overlay.as_ref().unwrap();
    assert_eq!(
        (o.source.as_str(), o.updated.as_str()),
        ("overlay.yaml", "2026-12-15")
    );
    assert_eq!(c.updated, "2026-12-01");
    let amd = c.for_platforms(&[Platform::Amd64]);
    let torch = amd.framework("pytorch").unwrap();
    assert_eq!(torch.newest().unwrap().version, v("2.15.1"));
    // The embedded releases are still there.
    assert!(torch.release(&v("2.14.1")).is_some());
    assert!(c.sources.iter().any(|s| s == "local mirror audit"));
    // The same rules: PTX from CUDA 12.5 cannot target sm_120 ...
    let bad = r#"
updated: "2026-12-15"
frameworks:
  - id: tensorflow
    releases:
      - version: "2.22.0"
        python: ["3.12"]
        builds:
          - {cuda: "12.5", tag: and-cuda, amd64: {sass: ["9.0"], ptx: ["12.0"]}}
"#;
    let e = Catalog::with_overlay(bad, "bad.yaml").unwrap_err();
    assert_eq!(e.source_name, "bad.yaml");
    assert!(
        e.message
            .contains("needs PTX ISA ≥ 8.7; CUDA 12.5 emits 8.5"),
        "{e}"
    );
    // ... CUDA 13 builds carry nothing below sm_75 ...
    let bad = bad.replace(
        r#"cuda: "12.5", tag: and-cuda, amd64: {sass: ["9.0"], ptx: ["12.0"]}"#,
        r#"cuda: "13.0", tag: and-cuda, amd64: {sass: ["7.0", "9.0"]}"#,
    );
    let e = Catalog::with_overlay(&bad, "bad.yaml").unwrap_err();
    assert!(
        e.message.contains("sm_70 below CUDA 13's floor sm_75"),
        "{e}"
    );
    // ... every SASS must be buildable by its CUDA major, every Python known ...
    let bad = bad.replace(r#"sass: ["7.0", "9.0"]"#, r#"sass: ["9.5"]"#);
    let e = Catalog::with_overlay(&bad, "bad.yaml").unwrap_err();
    assert!(
        e.message.contains("sm_95 is not buildable with CUDA 13"),
        "{e}"
    );
    let bad = bad.replace(r#"python: ["3.12"]"#, r#"python: ["3.99"]"#);
    let e = Catalog::with_overlay(&bad, "bad.yaml").unwrap_err();
    assert!(
        e.message.contains("Python 3.99 is not in python_versions"),
        "{e}"
    );
    // ... PyPI's default build must be one of the release's builds on that
    // platform (the PyPI shortcut installs it) ...
    let pypi = r#"
updated: "2026-12-15"
frameworks:
  - id: pytorch
    releases:
      - version: "2.99.0"
        pypi: cu999
        python: ["3.12"]
        builds:
          - {cuda: "12.6", tag: cu126, amd64: {sass: ["9.0"]}}
"#;
    let e = Catalog::with_overlay(pypi, "bad.yaml").unwrap_err();
    assert!(
        e.message
            .contains("pytorch 2.99.0: PyPI's amd64 build `cu999` is not one of its amd64 builds"),
        "{e}"
    );
    let arm = pypi.replace("pypi: cu999", "pypi: cu126\n        pypi_arm64: cu126");
    let e = Catalog::with_overlay(&arm, "bad.yaml").unwrap_err();
    assert!(
        e.message
            .contains("PyPI's arm64 build `cu126` is not one of its arm64 builds"),
        "{e}"
    );
    // ... malformed YAML names the line, a missing date is refused.
    let e =
        Catalog::with_overlay("updated: \"2026-12-15\"\nframeworks: [\n", "x.yaml").unwrap_err();
    assert!(e.to_string().starts_with("x.yaml: line "), "{e}");
    let e = Catalog::with_overlay("sources: [a]\n", "x.yaml").unwrap_err();
    assert!(e.message.contains("updated"), "{e}");
    let e = Catalog::with_overlay("updated: \"2026-12-15\"\nbogus: 1\n", "x.yaml").unwrap_err();
    assert!(e.message.contains("bogus"), "{e}");
}

/// A custom catalog that breaks a rule is an error naming the YAML path of
/// the value (list positions as merged: the embedded items first), never a
/// panic later in the planner.
#[test]
fn a_broken_custom_catalog_names_the_yaml_path() {
    let fw = raw()
        .frameworks
        .iter()
        .position(|f| f.id == "pytorch")
        .unwrap();
    let n = raw().frameworks[fw].releases.len();
    let release = |python: &str, build: &str| {
        format!(
            "updated: \"2026-12-15\"\nframeworks:\n  - id: pytorch\n    releases:\n      - version: \"2.15.1\"\n        python: [{python}]\n        builds:\n          - {build}\n"
        )
    };
    let at = format!("frameworks[{fw}].releases[{n}]");
    // A value that does not read: the path of the value itself.
    let e = Catalog::with_overlay(
        &release(
            "\"3.12\"",
            "{cuda: \"twelve\", tag: cu132, amd64: {sass: [\"9.0\"]}}",
        ),
        "bad.yaml",
    )
    .unwrap_err();
    assert_eq!(e.source_name, "bad.yaml");
    assert!(
        e.message.starts_with(&format!("{at}.builds[0].cuda: ")),
        "{e}"
    );
    // Rules: the path of the value that breaks one.
    let e = Catalog::with_overlay(
        &release(
            "\"3.99\"",
            "{cuda: \"13.2\", tag: cu132, amd64: {sass: [\"9.0\", \"7.5\"]}}",
        ),
        "bad.yaml",
    )
    .unwrap_err();
    for want in [
        format!("{at}.python[0]: pytorch 2.15.1: Python 3.99 is not in python_versions"),
        format!("{at}.builds[0].amd64.sass: pytorch 2.15.1 cu132 amd64: sass not sorted"),
        "list positions count the embedded catalog's items first".to_string(),
    ] {
        assert!(e.message.contains(&want), "want {want} in {e}");
    }
    // A toolkit whose driver minimum is below an older toolkit's.
    let t = raw()
        .cuda
        .iter()
        .position(|t| t.version == v("13.0"))
        .unwrap();
    let e = Catalog::with_overlay(
        "updated: \"2026-12-15\"\ncuda:\n  - {version: \"13.0\", min_driver: \"525.60.13\"}\n",
        "bad.yaml",
    )
    .unwrap_err();
    assert!(
        e.message.contains(&format!(
            "cuda[{t}].min_driver: CUDA 13.0: min_driver 525.60.13 is not above CUDA 12.9's"
        )),
        "{e}"
    );
    // A whole custom catalog: the default Python must be one it offers.
    let text = CATALOG_YAML.replacen("default_python: \"3.12\"", "default_python: \"3.99\"", 1);
    assert_ne!(
        text, CATALOG_YAML,
        "the catalog sets default_python: \"3.12\""
    );
    let e = Catalog::parse(&text).unwrap_err();
    assert!(
        e.message
            .contains("default_python: Python 3.99 is not in python_versions"),
        "{e}"
    );
    // A framework whose releases are all gone is refused too (the planner
    // would have nothing to choose).
    let e = Catalog::with_overlay(
        "updated: \"2026-12-15\"\nframeworks:\n  - id: newfw\n    name: New\n    import: newfw\n    packages: [newfw]\n    bundles_cuda: false\n    shm: false\n    releases: []\n",
        "bad.yaml",
    )
    .unwrap_err();
    assert!(e.message.contains("newfw: no cpu_requirement"), "{e}");
    assert!(e.message.contains("newfw: no releases"), "{e}");
}
