//! Kubernetes manifests in `deploy/k8s/`: a kustomize base (an Indexed Job
//! and a headless Service for training, a Deployment and a Service for
//! inference, the volume claims) and overlays for GPU, CPU and MIG nodes.
//! Every object is a `k8s-openapi` type serialised through serde_yaml; an
//! overlay is a strategic-merge patch of the same types, and [`variant`]
//! applies it with `k8s-openapi`'s `DeepMerge` (the same merge keys) so the
//! lint sees what `kubectl kustomize` renders.

mod common;
mod flavours;
pub mod lint;
mod objects;
mod overlay;
pub mod readme;

use crate::choices::DeployTarget;
use crate::plan::Plan;
use common::{yaml, HEADER};
use serde::Serialize;

pub use common::{Object, K8S_DIR};
pub use objects::{Accel, Objects};
pub use overlay::{overlays, variant};

/// The kustomization files (typed: only the fields mlcontain writes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    patches: Vec<PatchRef>,
}

#[derive(Debug, Serialize)]
struct PatchRef {
    path: String,
}

fn kustomization(resources: Vec<String>, patches: Vec<String>) -> String {
    yaml(&Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources,
        patches: patches.into_iter().map(|path| PatchRef { path }).collect(),
    })
}

/// `deploy/k8s/...` files, path and contents, when the plan deploys there.
pub fn render_k8s(plan: &Plan) -> Vec<(String, String)> {
    if !plan.deploy.has(DeployTarget::Kubernetes) {
        return vec![];
    }
    let o = Objects::new(plan);
    let mut files = vec![];
    let base = o.base();
    let mut resources = vec![];
    for obj in &base {
        let name = file_name(obj);
        resources.push(name.clone());
        files.push((
            format!("{K8S_DIR}/base/{name}"),
            format!("{HEADER}{}", yaml(obj)),
        ));
    }
    files.push((
        format!("{K8S_DIR}/base/kustomization.yaml"),
        format!("{HEADER}{}", kustomization(resources, vec![])),
    ));
    for accel in overlays(plan) {
        let dir = format!("{K8S_DIR}/overlays/{}", accel.as_str());
        let mut patches = vec![];
        for p in o.patches(accel).into_iter().flatten() {
            let name = file_name(&p);
            patches.push(name.clone());
            files.push((
                format!("{dir}/{name}"),
                format!(
                    "{HEADER}# {} overlay: merged over ../../base by `kubectl kustomize`.\n{}",
                    accel.as_str(),
                    yaml(&p)
                ),
            ));
        }
        files.push((
            format!("{dir}/kustomization.yaml"),
            format!(
                "{HEADER}{}",
                kustomization(vec!["../../base".into()], patches)
            ),
        ));
    }
    files.extend(flavours::render(plan));
    files
}

fn file_name(o: &Object) -> String {
    let (kind, name) = match o {
        Object::Job(j) => ("job", j.metadata.name.clone()),
        Object::Service(s) => ("service", s.metadata.name.clone()),
        Object::Deployment(d) => ("deployment", d.metadata.name.clone()),
        Object::Claim(c) => ("pvc", c.metadata.name.clone()),
    };
    format!("{}-{kind}.yaml", name.unwrap_or_default())
}
