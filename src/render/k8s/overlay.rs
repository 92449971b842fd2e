//! The overlays (GPU, CPU, MIG) and the objects with an overlay's patch
//! applied, merged with `k8s-openapi`'s `DeepMerge`.

use super::common::Object;
use super::objects::{Accel, Objects};
use crate::plan::Plan;
use k8s_openapi::DeepMerge;

/// The overlays a plan gets: CPU always; GPU and MIG for CUDA builds.
pub fn overlays(plan: &Plan) -> Vec<Accel> {
    if plan.cuda.is_some() {
        vec![Accel::Gpu, Accel::Cpu, Accel::Mig]
    } else {
        vec![Accel::Cpu]
    }
}

/// The objects with an overlay's patch applied (what `kubectl kustomize
/// deploy/k8s/overlays/<accel>` renders).
pub fn variant(plan: &Plan, accel: Accel) -> Vec<Object> {
    merged(&Objects::new(plan), accel)
}

/// The base objects with the patches of `accel` merged in.
pub fn merged(o: &Objects, accel: Accel) -> Vec<Object> {
    let mut out = vec![];
    for (base, patch) in o.base().into_iter().zip(o.patches(accel)) {
        out.push(match (base, patch) {
            (Object::Job(mut b), Some(Object::Job(p))) => {
                b.merge_from(p);
                Object::Job(b)
            }
            (Object::Deployment(mut b), Some(Object::Deployment(p))) => {
                b.merge_from(p);
                Object::Deployment(b)
            }
            (b, _) => b,
        });
    }
    out
}
