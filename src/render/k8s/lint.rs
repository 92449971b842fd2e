//! Checks of the manifests for what an API server or admission would reject
//! and what users trip on: GPU requests that differ from limits, GPU pods
//! without a memory-backed /dev/shm, `runAsNonRoot` without a numeric user,
//! Service/Deployment selectors that match no pod, and GPU limits on a CPU build.

use super::common::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `Job/training`, `Service/inference`...
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.object, self.message)
    }
}

fn is_gpu_resource(name: &str) -> bool {
    name == "nvidia.com/gpu" || name.starts_with("nvidia.com/mig-")
}

fn pods(objects: &[Object]) -> Vec<(String, &PodTemplateSpec)> {
    objects
        .iter()
        .filter_map(|o| match o {
            Object::Job(j) => j
                .spec
                .as_ref()
                .map(|s| (format!("Job/{}", name(&j.metadata.name)), &s.template)),
            Object::Deployment(d) => d.spec.as_ref().map(|s| {
                (
                    format!("Deployment/{}", name(&d.metadata.name)),
                    &s.template,
                )
            }),
            _ => None,
        })
        .collect()
}

fn name(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("?")
}

fn gpu_limits(c: &Container) -> Vec<(String, String)> {
    c.resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .map(|l| {
            l.iter()
                .filter(|(k, _)| is_gpu_resource(k))
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn has_memory_shm(spec: &PodSpec, c: &Container) -> bool {
    let Some(m) = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == "/dev/shm")
    else {
        return false;
    };
    spec.volumes.iter().flatten().any(|v| {
        v.name == m.name
            && v.empty_dir
                .as_ref()
                .and_then(|e| e.medium.as_deref())
                .is_some_and(|m| m == "Memory")
    })
}

fn subset(want: &BTreeMap<String, String>, have: Option<&BTreeMap<String, String>>) -> bool {
    let Some(have) = have else {
        return want.is_empty();
    };
    want.iter().all(|(k, v)| have.get(k) == Some(v))
}

/// Every problem found in one rendered variant's objects.
pub fn lint(objects: &[Object], cpu_build: bool) -> Vec<Finding> {
    let mut out = vec![];
    let mut find = |object: &str, message: String| {
        out.push(Finding {
            object: object.to_string(),
            message,
        })
    };
    let pods = pods(objects);
    for (obj, t) in &pods {
        let Some(spec) = &t.spec else {
            find(obj, "has no pod spec".into());
            continue;
        };
        let pod_nonroot = spec
            .security_context
            .as_ref()
            .and_then(|s| s.run_as_non_root)
            .unwrap_or(false);
        let pod_user = spec.security_context.as_ref().and_then(|s| s.run_as_user);
        for c in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            let who = format!("{obj} container {}", c.name);
            // GPU requests must equal limits (extended resources cannot be overcommitted).
            let res = c.resources.as_ref();
            let limits = res.and_then(|r| r.limits.as_ref());
            let requests = res.and_then(|r| r.requests.as_ref());
            for (k, v) in requests.into_iter().flatten() {
                if !is_gpu_resource(k) {
                    continue;
                }
                match limits.and_then(|l| l.get(k)) {
                    None => find(
                        &who,
                        format!("requests {k}: {} without a limit; GPUs are set by limits (requests must equal them)", v.0),
                    ),
                    Some(l) if l != v => find(
                        &who,
                        format!("requests {k}: {} but limits {}: GPU requests must equal limits", v.0, l.0),
                    ),
                    _ => {}
                }
            }
            let gpus = gpu_limits(c);
            if !gpus.is_empty() && cpu_build {
                find(
                    &who,
                    format!(
                        "a CPU build asks for {}: it cannot use a GPU, and the pod would wait for one",
                        gpus.iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            let torchrun = c.command.iter().flatten().any(|a| a == "torchrun");
            if (!gpus.is_empty() || torchrun) && !has_memory_shm(spec, c) {
                find(
                    &who,
                    "has no memory-backed /dev/shm (emptyDir medium: Memory): the runtime's 64 MB default breaks NCCL and data-loader workers".into(),
                );
            }
            let nonroot = c
                .security_context
                .as_ref()
                .and_then(|s| s.run_as_non_root)
                .unwrap_or(pod_nonroot);
            let user = c
                .security_context
                .as_ref()
                .and_then(|s| s.run_as_user)
                .or(pod_user);
            if nonroot && user.is_none() {
                find(
                    &who,
                    "runAsNonRoot without a numeric runAsUser: the kubelet cannot verify a user name and refuses to start it".into(),
                );
            }
            if user == Some(0) {
                find(&who, "runs as UID 0 (root)".into());
            }
        }
    }
    // Selectors must pick pods.
    for o in objects {
        match o {
            Object::Service(s) => {
                let Some(sel) = s.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                    continue;
                };
                let any = pods
                    .iter()
                    .any(|(_, t)| subset(sel, t.metadata.as_ref().and_then(|m| m.labels.as_ref())));
                if !any {
                    find(
                        &format!("Service/{}", name(&s.metadata.name)),
                        format!("selector {sel:?} matches no pod template"),
                    );
                }
            }
            Object::Deployment(d) => {
                let Some(spec) = &d.spec else { continue };
                let want = spec.selector.match_labels.clone().unwrap_or_default();
                let have = spec
                    .template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.as_ref());
                if want.is_empty() || !subset(&want, have) {
                    find(
                        &format!("Deployment/{}", name(&d.metadata.name)),
                        format!("selector {want:?} does not match its pod template's labels"),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{overlays, variant, Accel, Object};
    use super::*;
    use crate::choices::{Accel as Build, Choices, DeployTarget, GpuCount, GpuSelection};
    use crate::plan::plan;
    use crate::scenarios;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn gpu_plan() -> crate::plan::Plan {
        plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("pytorch".into()),
                cuda: Some(Build::Cuda("12.4".parse().unwrap())),
                gpus: Some(GpuSelection::Count(GpuCount::N(2))),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                nodes: Some(2),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn job_container(objs: &mut [Object]) -> &mut Container {
        objs.iter_mut()
            .find_map(|o| match o {
                Object::Job(j) => Some(
                    &mut j
                        .spec
                        .as_mut()
                        .unwrap()
                        .template
                        .spec
                        .as_mut()
                        .unwrap()
                        .containers[0],
                ),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn generated_variants_are_clean() {
        let p = gpu_plan();
        for a in overlays(&p) {
            assert_eq!(lint(&variant(&p, a), false), vec![], "{a:?}");
        }
        let cpu = plan(
            &scenarios::no_gpu(),
            &Choices {
                framework: Some("pytorch".into()),
                cuda: Some(Build::Cpu),
                deploy: Some(vec![DeployTarget::Kubernetes]),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(overlays(&cpu), vec![Accel::Cpu]);
        assert_eq!(lint(&variant(&cpu, Accel::Cpu), true), vec![]);
    }

    #[test]
    fn gpu_requests_must_equal_limits() {
        let p = gpu_plan();
        let mut objs = variant(&p, Accel::Gpu);
        let c = job_container(&mut objs);
        c.resources
            .as_mut()
            .unwrap()
            .requests
            .as_mut()
            .unwrap()
            .insert("nvidia.com/gpu".into(), Quantity("1".into()));
        let f = lint(&objs, false);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("must equal limits"), "{}", f[0]);
        assert_eq!(f[0].object, "Job/training container training");
    }

    #[test]
    fn a_gpu_pod_without_memory_shm_is_flagged() {
        let p = gpu_plan();
        let mut objs = variant(&p, Accel::Gpu);
        let c = job_container(&mut objs);
        c.volume_mounts
            .as_mut()
            .unwrap()
            .retain(|m| m.mount_path != "/dev/shm");
        let f = lint(&objs, false);
        assert!(f.iter().any(|f| f.message.contains("/dev/shm")), "{f:?}");
    }

    #[test]
    fn non_root_without_a_numeric_user_is_flagged() {
        let p = gpu_plan();
        let mut objs = variant(&p, Accel::Cpu);
        for o in &mut objs {
            if let Object::Deployment(d) = o {
                let spec = d.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
                spec.security_context.as_mut().unwrap().run_as_user = None;
            }
        }
        let f = lint(&objs, false);
        assert!(
            f.iter()
                .any(|f| f.object.starts_with("Deployment/inference")
                    && f.message.contains("numeric runAsUser")),
            "{f:?}"
        );
    }

    #[test]
    fn selectors_that_match_nothing_are_flagged() {
        let p = gpu_plan();
        let mut objs = variant(&p, Accel::Cpu);
        for o in &mut objs {
            if let Object::Service(s) = o {
                if s.metadata.name.as_deref() == Some("training") {
                    s.spec
                        .as_mut()
                        .unwrap()
                        .selector
                        .as_mut()
                        .unwrap()
                        .insert("app.kubernetes.io/component".into(), "trainer".into());
                }
            }
            if let Object::Deployment(d) = o {
                d.spec
                    .as_mut()
                    .unwrap()
                    .selector
                    .match_labels
                    .as_mut()
                    .unwrap()
                    .insert("tier".into(), "web".into());
            }
        }
        let f = lint(&objs, false);
        assert!(f.iter().any(|f| f.object == "Service/training"), "{f:?}");
        assert!(
            f.iter().any(|f| f.object == "Deployment/inference"),
            "{f:?}"
        );
    }

    #[test]
    fn a_gpu_limit_on_a_cpu_build_is_flagged() {
        let p = gpu_plan();
        let f = lint(&variant(&p, Accel::Gpu), true);
        assert!(
            f.iter()
                .any(|f| f.message.contains("a CPU build asks for nvidia.com/gpu: 2")),
            "{f:?}"
        );
        let f = lint(&variant(&p, Accel::Mig), true);
        assert!(
            f.iter()
                .any(|f| f.message.contains("nvidia.com/mig-1g.10gb")),
            "{f:?}"
        );
    }
}
