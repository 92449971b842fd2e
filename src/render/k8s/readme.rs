//! The README.Docker.md sections for multi-GPU training and Kubernetes.

use super::common::K8S_DIR;
use super::objects::{Accel, GFD_COMPUTE_MAJOR, GFD_DRIVER_MAJOR, GFD_PRODUCT};
use super::overlay::overlays;
use crate::choices::{DeployTarget, Stage};
use crate::plan::{Health, Plan, Procs};

/// How several GPUs on one host are used (empty for one process).
pub fn multi_gpu_section(plan: &Plan) -> String {
    let Some(p) = plan.deploy.local_procs() else {
        return String::new();
    };
    if !plan.has(Stage::Training) {
        return String::new();
    }
    let n = match p {
        Procs::Count(n) => format!("{n} processes, one per reserved GPU"),
        Procs::PerGpu => "one process per GPU the container sees".into(),
    };
    format!(
        "## Several GPUs\n\nThe training service runs `torchrun --standalone --nproc-per-node {}` ({n}).\n\
         Each process joins the process group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK);\n\
         NCCL needs shared memory, so the service sets `shm_size`, `ulimits` (memlock, stack)\n\
         and `NCCL_DEBUG=WARN`. With Docker's default 64 MB /dev/shm the data-loader workers\n\
         die with a bus error.\n\n",
        p.arg()
    )
}

/// The Kubernetes section (empty unless the plan deploys there).
pub fn kubernetes_section(plan: &Plan) -> String {
    if !plan.deploy.has(DeployTarget::Kubernetes) {
        return String::new();
    }
    let d = &plan.deploy;
    let mut s = String::from("## Kubernetes\n\n");
    s.push_str(&format!(
        "`{K8S_DIR}/` is a kustomize base with overlays ({}). Build and push the images\nunder the names the manifests use, then apply one overlay:\n\n```sh\n",
        overlays(plan)
            .iter()
            .map(|a| format!("`overlays/{}`", a.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for st in [Stage::Training, Stage::Inference] {
        if plan.has(st) {
            s.push_str(&format!(
                "docker build --target {st} -t {img} . && docker push {img}\n",
                img = d.image(st.as_str())
            ));
        }
    }
    // docker-bake.hcl (written with the cluster files) tags the same names.
    s.push_str(
        if d.registry.as_deref().is_some_and(|r| !r.trim().is_empty()) {
            "# or every stage at once, under the same names: docker buildx bake --push\n"
        } else {
            "# or every stage at once, under the same names: docker buildx bake\n"
        },
    );
    let first = overlays(plan)[0];
    s.push_str(&format!(
        "kubectl apply -k {K8S_DIR}/overlays/{}\n```\n\n",
        first.as_str()
    ));
    if plan.has(Stage::Training) {
        if d.torchrun && d.nodes > 1 {
            s.push_str(&format!(
                "Training is an Indexed Job of {n} pods (one per node) behind the headless Service\n\
                 `training`: pod *i* is `training-i.training`, and torchrun meets at\n\
                 `training-0.training:29500` (c10d rendezvous, `--node-rank` from the completion index).\n\
                 An init container waits until that name resolves. One failed pod fails the Job.\n\n",
                n = d.nodes
            ));
        } else if d.nodes > 1 {
            s.push_str(&format!(
                "Training is an Indexed Job of {n} pods; each gets NODE_RANK, NNODES and\n\
                 COORDINATOR_ADDR (`training-0.training:29500`), which the script must use to join the others.\n\n",
                n = d.nodes
            ));
        } else {
            s.push_str("Training is a Job of one pod.\n\n");
        }
    }
    if plan.has(Stage::Inference) {
        let probe = match &plan.code.health {
            Health::Http(path) => format!("GET `{path}` (the app's health route)"),
            Health::Tcp => "connect to the port (the app has no health route)".to_string(),
        };
        s.push_str(&format!("Inference is a Deployment and a Service; its readiness and liveness probes\n{probe}, and it mounts the `models` claim read-only.\n\n"));
    }
    let flavours = super::flavours::render(plan);
    if !flavours.is_empty() {
        s.push_str("Flavours for clusters with their controllers (apply one instead of the base's\nJob or Deployment; the same pod template, hardening and affinity):\n\n");
        for (path, _) in &flavours {
            let what = match path.rsplit('/').next().unwrap_or_default() {
                "jobset.yaml" => "JobSet (JobSet controller)",
                "pytorchjob.yaml" => "Kubeflow PyTorchJob (Kubeflow training operator)",
                "inferenceservice.yaml" => "KServe InferenceService (KServe, RawDeployment mode)",
                _ => "",
            };
            s.push_str(&format!("- `{path}`: {what}\n"));
        }
        s.push('\n');
    }
    if plan.cuda.is_some() {
        s.push_str(&format!(
            "The GPU overlay asks for `nvidia.com/gpu: {}` per training pod (requests equal limits),\n\
             the MIG overlay for `nvidia.com/mig-{}`; both tolerate the `nvidia.com/gpu` taint and\n\
             schedule only on nodes whose GPU Feature Discovery labels say the image runs there:\n\n",
            d.gpus_per_node.unwrap_or(1),
            d.mig_profile
        ));
        if let Some(v) = &d.min_driver {
            let full = v.to_string();
            let mm: Vec<&str> = full.split('.').take(2).collect();
            s.push_str(&format!(
                "- `{GFD_DRIVER_MAJOR}` and `.minor`: a driver ≥ {} (the image needs {v}; the labels carry major and minor)\n",
                mm.join(".")
            ));
        }
        if let Some(cc) = d.min_compute {
            s.push_str(&format!(
                "- `{GFD_COMPUTE_MAJOR}` (and minor): compute capability ≥ {}.{} (the lowest the build has kernels for)\n",
                cc.major, cc.minor
            ));
        }
        if let Some(p) = &d.gpu_product {
            s.push_str(&format!("- `{GFD_PRODUCT}`: {p}\n"));
        }
        s.push_str(
            "\nA node with an older driver (or without these labels: install GPU Feature Discovery,\n\
             part of the NVIDIA GPU Operator) is never chosen: the pod stays Pending with\n\
             \"didn't match Pod's node affinity/selector\" instead of failing with\n\
             \"CUDA driver version is insufficient\".\n",
        );
        if overlays(plan).contains(&Accel::Cpu) {
            s.push_str("The CPU overlay sets `NVIDIA_VISIBLE_DEVICES=void`, so a pod without a GPU limit sees no GPU.\n");
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "Every pod runs as UID/GID {uid} (`runAsNonRoot`, fsGroup {uid}) with the RuntimeDefault\n\
         seccomp profile, no capabilities, no privilege escalation and a read-only root; /tmp,\n\
         ~/.cache and /dev/shm (memory-backed) are emptyDir volumes. The claims `models`\n\
         and `data` ask for ReadWriteMany storage: set a storageClassName your cluster has.\n\n",
        uid = plan.uid
    ));
    s
}
