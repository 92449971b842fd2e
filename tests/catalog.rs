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
                assert!(!b.sass.is_empty());
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
    // Later cu128+ builds dropped Maxwell/Pascal; cu126 kept them.
    assert!(build("2.7.1", "cu128").sass.contains(&cc("6.0")));
    assert!(!build("2.8.0", "cu128").sass.contains(&cc("6.0")));
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
