#!/usr/bin/env bash
# Validate the generated Kubernetes manifests with the real tools, offline:
#
#   for every framework x {cpu, gpu} x {1, 2 nodes}: mlcontain init --deploy
#   kubernetes (with the JobSet, PyTorchJob and KServe flavours where they apply),
#   `kubectl kustomize` of every overlay, `kubernetes-validate --strict` of the
#   core kinds, and `check-jsonschema` of the JobSet / PyTorchJob /
#   InferenceService documents against strict JSON Schemas converted from the
#   CRDs (scripts/crd-jsonschema.py).
#   Negative controls prove both validators are strict: an unknown field must fail.
#
#   scripts/k8s-validate.sh [MLCONTAIN_BINARY]     (default: target/debug/mlcontain)
#
# Tools: .tools/k8s-venv (scripts/provision-k8s-tools.sh). CRDs: $MLCONTAIN_K8S_CRDS
# (default ../shared/k8s-crds beside the repository). Prints a markdown table;
# exits 1 when any check fails.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mlcontain="${1:-$repo_root/target/debug/mlcontain}"
tools="$repo_root/.tools/k8s-venv/bin"
crds="${MLCONTAIN_K8S_CRDS:-$repo_root/../shared/k8s-crds}"
k8s_version="${MLCONTAIN_K8S_VERSION:-1.33.0}"
[[ -x $mlcontain ]] || { echo "k8s-validate: $mlcontain not built" >&2; exit 2; }
[[ -x $tools/kubectl ]] || "$repo_root/scripts/provision-k8s-tools.sh" >&2
[[ -d $crds ]] || { echo "k8s-validate: no CRDs at $crds (set MLCONTAIN_K8S_CRDS)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/i14-k8s-validate.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

"$tools/python" "$repo_root/scripts/crd-jsonschema.py" "$work/schemas" \
    "$crds/jobset.x-k8s.io_jobsets.yaml" "$crds/kubeflow.org_pytorchjobs.yaml" \
    "$crds/serving.kserve.io_inferenceservices.yaml" >/dev/null
jobset_schema="$work/schemas/jobset-jobset-v1alpha2.json"
pytorchjob_schema="$work/schemas/pytorchjob-kubeflow-v1.json"
kserve_schema="$work/schemas/inferenceservice-serving-v1beta1.json"

validate_core() { "$tools/kubernetes-validate" --strict --quiet -k "$k8s_version" "$@" >"$work/kv.log" 2>&1; }

failures=0
fail() { echo "FAIL: $*" >&2; cat "$work/kv.log" >&2 2>/dev/null || true; failures=$((failures + 1)); }

# Negative controls first: a validator that accepts anything proves nothing.
mkdir -p "$work/neg"
cat >"$work/neg/bad.yaml" <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  completionsTypo: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: x, image: x}]
YAML
if validate_core "$work/neg/bad.yaml"; then fail "kubernetes-validate --strict accepted an unknown field"; fi

# Checks the manifests init wrote in $1 (label $2): every overlay through
# `kubectl kustomize` and `kubernetes-validate --strict`, every CRD flavour
# through check-jsonschema. Sets ov_ok, core, crds_checked, crd and probe.
check_project() {
    local d=$1 label=$2 ov name f schema
    ov_ok=(); core="pass"; crd="pass"; crds_checked=()
    for ov in "$d"/deploy/k8s/overlays/*/; do
        name="$(basename "$ov")"
        if ! "$tools/kubectl" kustomize "$ov" >"$d/$name.yaml" 2>"$work/kv.log"; then
            fail "$label: kubectl kustomize overlays/$name"; core="FAIL"; continue
        fi
        ov_ok+=("$name")
        validate_core "$d/$name.yaml" || { fail "$label: kubernetes-validate overlays/$name"; core="FAIL"; }
    done
    for f in "$d"/deploy/k8s/flavours/*.yaml; do
        [[ -e $f ]] || continue
        case "$(basename "$f")" in
            jobset.yaml) schema=$jobset_schema ;;
            pytorchjob.yaml) schema=$pytorchjob_schema ;;
            inferenceservice.yaml) schema=$kserve_schema ;;
            *) continue ;;
        esac
        crds_checked+=("$(basename "$f" .yaml)")
        "$tools/check-jsonschema" --schemafile "$schema" "$f" >"$work/kv.log" 2>&1 \
            || { fail "$label: check-jsonschema $(basename "$f")"; crd="FAIL"; }
    done
    # The inference probe the manifests carry (the app's health route, or TCP).
    probe="$(grep -A4 'readinessProbe:' "$d/cpu.yaml" 2>/dev/null | grep -oE 'path: [^ ]+|tcpSocket' | head -1 || true)"
}

rows=()
cuda_for() { # a CUDA version the framework has a build for, or nothing
    local fw=$1 v
    for v in 12.4 12.6 12.8 12.1 11.8 13.0; do
        if MLCONTAIN_NVML_LIB=/nonexistent "$mlcontain" init --dry-run --yes --framework "$fw" --cuda "$v" \
            --dir "$work/empty" >/dev/null 2>&1; then echo "$v"; return; fi
    done
}
mkdir -p "$work/empty"
frameworks="${MLCONTAIN_K8S_FRAMEWORKS:-pytorch tensorflow jax sklearn xgboost lightgbm none}"
for fw in $frameworks; do
    gpu_cuda="$(cuda_for "$fw")"
    for accel in cpu gpu; do
        cuda=cpu
        if [[ $accel == gpu ]]; then
            if [[ -z $gpu_cuda ]]; then rows+=("| $fw | gpu | - | no CUDA build | - | - | - | - |"); continue; fi
            cuda=$gpu_cuda
        fi
        for nodes in 1 2; do
            d="$work/$fw-$accel-$nodes"
            mkdir -p "$d"
            flav=(--k8s-flavour "jobset,kserve")
            [[ $fw == pytorch ]] && flav=(--k8s-flavour "jobset,pytorchjob,kserve")
            gpus=()
            [[ $accel == gpu ]] && gpus=(--gpus 2)
            if ! MLCONTAIN_NVML_LIB=/nonexistent "$mlcontain" init --yes --framework "$fw" --cuda "$cuda" \
                "${gpus[@]}" --deploy kubernetes --nodes "$nodes" "${flav[@]}" --dir "$d" >"$work/kv.log" 2>&1; then
                fail "$fw $accel $nodes: mlcontain init"; rows+=("| $fw | $accel | $nodes | init failed | | | | |"); continue
            fi
            check_project "$d" "$fw $accel $nodes"
            rows+=("| $fw | $accel ($cuda) | $nodes | ${ov_ok[*]} | $core | ${crds_checked[*]:-none} | $crd | ${probe:-no inference} |")
        done
    done
done

# Fixture projects with their own servers: the probes follow the app's routes
# (a health route when it has one, else a TCP connect, never a /health it lacks).
for fx in ${MLCONTAIN_K8S_FIXTURES:-flask-xgboost poetry-fastapi keras-flask}; do
    d="$work/fixture-$fx"
    cp -r "$repo_root/tests/fixtures/$fx" "$d"
    if ! MLCONTAIN_NVML_LIB=/nonexistent "$mlcontain" init --yes --deploy kubernetes --nodes 2 \
        --k8s-flavour jobset,kserve --dir "$d" >"$work/kv.log" 2>&1; then
        fail "fixture $fx: mlcontain init"; rows+=("| $fx (fixture) | cpu | 2 | init failed | | | | |"); continue
    fi
    check_project "$d" "fixture $fx"
    rows+=("| $fx (fixture) | cpu | 2 | ${ov_ok[*]} | $core | ${crds_checked[*]:-none} | $crd | ${probe:-no inference} |")
done

# Negative control for the CRD schemas: an unknown field in a generated JobSet must fail.
sample="$(ls "$work"/pytorch-cpu-2/deploy/k8s/flavours/jobset.yaml 2>/dev/null || true)"
if [[ -n $sample ]]; then
    sed 's/^  failurePolicy:/  bogusField: 1\n  failurePolicy:/' "$sample" >"$work/neg/jobset.yaml"
    if "$tools/check-jsonschema" --schemafile "$jobset_schema" "$work/neg/jobset.yaml" >/dev/null 2>&1; then
        fail "check-jsonschema accepted an unknown JobSet field"
    fi
fi
# ... and a misplaced field in a generated InferenceService's predictor.
sample=""
for f in "$work"/*/deploy/k8s/flavours/inferenceservice.yaml; do [[ -e $f ]] && { sample=$f; break; }; done
if [[ -n $sample ]]; then
    sed 's/^    minReplicas:/    replicas: 1\n    minReplicas:/' "$sample" >"$work/neg/isvc.yaml"
    if "$tools/check-jsonschema" --schemafile "$kserve_schema" "$work/neg/isvc.yaml" >/dev/null 2>&1; then
        fail "check-jsonschema accepted an unknown InferenceService predictor field"
    fi
else
    fail "no InferenceService was generated"
fi

echo "| framework | build | nodes | overlays rendered (kubectl kustomize) | kubernetes-validate --strict ($k8s_version) | CRD kinds | check-jsonschema (strict CRD schema) | inference probe |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "k8s-validate: ${#rows[@]} combinations, $failures failures, $((SECONDS - start)) s"
[[ $failures -eq 0 ]]
