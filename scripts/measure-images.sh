#!/usr/bin/env bash
# Measure, in one run on tests/sample-cpu, mlcontain's generated Dockerfile
# (the inference target) against the seed document's template
# (../shared/seed/containerization-multistage-ml.md, its first Dockerfile):
#
#   - final image size, and the size it adds over its base image
#   - cold build (no layer cache, BuildKit cache mounts cleared) and warm
#     build after a code-only change (serve.py)
#   - hadolint findings (--no-color)
#   - the installed size of the Python dependencies: a bare venv of them,
#     without pip/setuptools and bytecode caches (du -sb), and the ratio
#     "added over base / that size" (target <= 1.15)
#   - first-import time of the model code in each image (bytecode: none is
#     shipped by mlcontain, PYTHONDONTWRITEBYTECODE=1)
#
# The seed template does not build as written: it COPYs the wheels
# root-owned, then removes them as appuser (rm: Permission denied). The
# script shows that failure, then measures it with that one line repaired:
#   COPY --chown=appuser:appuser --from=builder /app/wheels /app/wheels
# It also expects src/ and models/: the sample is adapted minimally (serve.py
# and train.py moved into src/, an empty models/ with a .gitkeep).
#
# Needs a Docker engine with buildx and the base images (python:3.10-slim,
# python:3.12-slim: scripts/make-base-images.sh makes offline stand-ins), and
# PyPI/apt reachable from builds. Holds the e2e tests' engine lock while it
# runs (it clears BuildKit's cache mounts for the cold builds).
#
# Environment: MLCONTAIN (binary; default: cargo build), SEED (the .md),
# HADOLINT (default .tools/venv/bin/hadolint), KEEP=1 keeps the images,
# SKIP_BROKEN=1 skips building the seed template as written.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
SEED="${SEED:-$repo_root/../shared/seed/containerization-multistage-ml.md}"
HADOLINT="${HADOLINT:-$repo_root/.tools/venv/bin/hadolint}"
log() { printf 'measure: %s\n' "$*" >&2; }
die() { printf 'measure: error: %s\n' "$*" >&2; exit 1; }

[[ -f $SEED ]] || die "no seed document at $SEED"
docker info >/dev/null 2>&1 || die "no docker engine answers (scripts/docker-env.sh)"
docker buildx version >/dev/null 2>&1 || die "docker buildx is needed"

if [[ -z ${MLCONTAIN:-} ]]; then
    target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
    log "building mlcontain (cargo build, target dir $target_dir)"
    cargo build --quiet --bin mlcontain
    MLCONTAIN="$target_dir/debug/mlcontain"
fi
[[ -x $MLCONTAIN ]] || die "no mlcontain binary at $MLCONTAIN"

# --- the engine lock shared with tests/e2e_docker.rs ---------------------------
lock="${TMPDIR:-/tmp}/mlcontain-docker-e2e.lock"
until mkdir "$lock" 2>/dev/null; do
    owner="$(cat "$lock/pid" 2>/dev/null || true)"
    if [[ -n $owner && ! -d /proc/$owner ]]; then
        rm -rf "$lock"
        continue
    fi
    log "waiting for the engine lock $lock (pid ${owner:-?})"
    sleep 5
done
echo $$ >"$lock/pid"

work="$(mktemp -d)"
prefix="mlcmeasure-$$"
cleanup() {
    rm -rf "$work" "$lock"
    if [[ ${KEEP:-0} != 1 ]]; then
        docker image rm --force "$prefix-mlcontain" "$prefix-seed" "$prefix-seed-broken" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
image_size() { docker image inspect --format '{{.Size}}' "$1"; }

# build NAME DIR [args...] -> seconds on stdout; log in $work/NAME.log
build() {
    local name="$1" dir="$2"
    shift 2
    local t0 t1
    t0="$(now)"
    if ! docker buildx build --load --progress=plain --tag "$name" "$@" "$dir" >"$work/$name.log" 2>&1; then
        return 1
    fi
    t1="$(now)"
    secs "$t0" "$t1"
}

cold_prep() {
    # Cold: no layer cache (--no-cache) and no cache-mount contents (pip's
    # downloads), so dependencies are downloaded for real.
    docker builder prune --force --filter type=exec.cachemount >/dev/null
}

hadolint_count() {
    if [[ -x $HADOLINT ]]; then
        "$HADOLINT" --no-color "$1" >"$2" 2>&1 || true
        grep -c -E ' (DL|SC)[0-9]+ ' "$2" || true
    else
        echo "n/a"
    fi
}

# --- mlcontain ----------------------------------------------------------------
mlc="$work/mlc/sample-cpu"
mkdir -p "$mlc"
cp -r tests/sample-cpu/. "$mlc/"
MLCONTAIN_NVML_LIB=/nonexistent "$MLCONTAIN" init --yes --framework sklearn --dir "$mlc" </dev/null >"$work/mlc-init.log"
mlc_base="$(awk '$1 == "FROM" && $NF == "base" { print $2; exit }' "$mlc/Dockerfile")"
log "mlcontain: base $mlc_base; cold build of the inference target"
cold_prep
mlc_cold="$(build "$prefix-mlcontain" "$mlc" --target inference --no-cache)" || {
    tail -n 30 "$work/$prefix-mlcontain.log" >&2
    die "mlcontain's Dockerfile did not build"
}
printf '\n# code-only change\n' >>"$mlc/serve.py"
mlc_warm="$(build "$prefix-mlcontain" "$mlc" --target inference)" || die "warm build failed"
grep -q -E '^#[0-9]+ CACHED' "$work/$prefix-mlcontain.log" || log "warning: nothing CACHED in the warm build"
mlc_pip_cached="no"
step="$(grep -E '^#[0-9]+ \[builder .*pip install' "$work/$prefix-mlcontain.log" | head -n1 | awk '{ print $1 }')"
[[ -n $step ]] && grep -qx "$step CACHED" "$work/$prefix-mlcontain.log" && mlc_pip_cached="yes"
mlc_size="$(image_size "$prefix-mlcontain")"
mlc_base_size="$(image_size "$mlc_base")"
mlc_hadolint="$(hadolint_count "$mlc/Dockerfile" "$work/mlc-hadolint.txt")"

# --- seed template ---------------------------------------------------------------
seed="$work/seed/sample-cpu"
mkdir -p "$seed/src" "$seed/models"
cp tests/sample-cpu/requirements.txt "$seed/"
cp tests/sample-cpu/serve.py tests/sample-cpu/train.py "$seed/src/"
: >"$seed/models/.gitkeep"
awk '/^```dockerfile/ { f = 1; next } f && /^```/ { exit } f' "$SEED" >"$seed/Dockerfile.as-written"
grep -q '^COPY --from=builder /app/wheels /app/wheels$' "$seed/Dockerfile.as-written" ||
    die "the seed template's wheels COPY line is not where expected"
sed 's|^COPY --from=builder /app/wheels /app/wheels$|COPY --chown=appuser:appuser --from=builder /app/wheels /app/wheels|' \
    "$seed/Dockerfile.as-written" >"$seed/Dockerfile"
seed_base="$(awk '$1 == "FROM" { b = $2 } END { print b }' "$seed/Dockerfile")"

seed_broken="not tried (SKIP_BROKEN=1)"
if [[ ${SKIP_BROKEN:-0} != 1 ]]; then
    log "seed template as written (expected to fail)"
    if build "$prefix-seed-broken" "$seed" --file "$seed/Dockerfile.as-written" >/dev/null; then
        seed_broken="built (unexpected)"
    else
        seed_broken="fails: $(grep -m1 -E 'rm: cannot remove|Permission denied' "$work/$prefix-seed-broken.log" | sed -E 's/^#[0-9]+ [0-9.]+ //' || echo 'see log')"
        log "as written: $seed_broken"
    fi
fi

log "seed template (repaired): cold build"
cold_prep
seed_cold="$(build "$prefix-seed" "$seed" --file "$seed/Dockerfile" --no-cache)" || {
    tail -n 30 "$work/$prefix-seed.log" >&2
    die "the repaired seed template did not build"
}
printf '\n# code-only change\n' >>"$seed/src/serve.py"
seed_warm="$(build "$prefix-seed" "$seed" --file "$seed/Dockerfile")" || die "seed warm build failed"
seed_pip_cached="no"
step="$(grep -E '^#[0-9]+ \[stage-1 .*pip install' "$work/$prefix-seed.log" | head -n1 | awk '{ print $1 }')"
[[ -n $step ]] && grep -qx "$step CACHED" "$work/$prefix-seed.log" && seed_pip_cached="yes"
seed_size="$(image_size "$prefix-seed")"
seed_base_size="$(image_size "$seed_base")"
seed_hadolint="$(hadolint_count "$seed/Dockerfile.as-written" "$work/seed-hadolint.txt")"

# --- the dependencies' installed size ----------------------------------------------
log "installed size of the dependencies (bare venv, no pip/setuptools/bytecode)"
deps="$(docker run --rm -v "$seed/requirements.txt:/req.txt:ro" --entrypoint sh "$mlc_base" -c '
    set -e
    python3 -m venv /v >/dev/null
    PIP_DISABLE_PIP_VERSION_CHECK=1 /v/bin/pip install --quiet --no-compile --no-cache-dir -r /req.txt >/dev/null
    /v/bin/pip uninstall --quiet --yes pip setuptools >/dev/null 2>&1 || true
    find /v -name __pycache__ -type d -prune -exec rm -rf {} +
    du -sb /v | cut -f1')"

# --- first import of the model code (no bytecode shipped) ---------------------------
import_time() {
    docker run --rm --entrypoint python "$1" -c \
        'import time; t = time.perf_counter(); import joblib, sklearn.linear_model; print("%.2f" % (time.perf_counter() - t))'
}
# Bytecode the images carry for the installed packages (venv or user site).
pyc_bytes() {
    docker run --rm --user 0 --entrypoint sh "$1" -c \
        'find /opt/venv /home -type d -name __pycache__ -path "*-packages*" -prune -print0 2>/dev/null | xargs -0 -r du -scb | tail -n1 | cut -f1' |
        awk '{ print $1 + 0 }'
}
mlc_pyc="$(pyc_bytes "$prefix-mlcontain")"
seed_pyc="$(pyc_bytes "$prefix-seed")"
mlc_import="$(import_time "$prefix-mlcontain")"
seed_import="$(import_time "$prefix-seed")"

mlc_added=$((mlc_size - mlc_base_size))
seed_added=$((seed_size - seed_base_size))
ratio() { awk -v a="$1" -v d="$deps" 'BEGIN { printf "%.2fx", a / d }'; }

echo
echo "Images for tests/sample-cpu (inference), $(docker version --format 'engine {{.Server.Version}}'), $(nproc) CPUs"
printf '%-44s %-22s %-22s\n' "" "mlcontain" "seed template (repaired)"
printf '%-44s %-22s %-22s\n' "base image" "$mlc_base" "$seed_base"
printf '%-44s %-22s %-22s\n' "final image size (MB)" "$(mb "$mlc_size")" "$(mb "$seed_size")"
printf '%-44s %-22s %-22s\n' "added over its base (MB)" "$(mb "$mlc_added")" "$(mb "$seed_added")"
printf '%-44s %-22s %-22s\n' "deps installed size, bare venv (MB)" "$(mb "$deps")" "$(mb "$deps")"
printf '%-44s %-22s %-22s\n' "added / deps (target <= 1.15x)" "$(ratio "$mlc_added")" "$(ratio "$seed_added")"
printf '%-44s %-22s %-22s\n' "of which package bytecode, __pycache__ (MB)" "$(mb "$mlc_pyc")" "$(mb "$seed_pyc")"
printf '%-44s %-22s %-22s\n' "cold build (s)" "$mlc_cold" "$seed_cold"
printf '%-44s %-22s %-22s\n' "warm build after code-only change (s)" "$mlc_warm" "$seed_warm"
printf '%-44s %-22s %-22s\n' "dependency layer CACHED on that rebuild" "$mlc_pip_cached" "$seed_pip_cached"
printf '%-44s %-22s %-22s\n' "hadolint findings" "$mlc_hadolint" "$seed_hadolint (as written)"
printf '%-44s %-22s %-22s\n' "first import sklearn+joblib in image (s)" "$mlc_import" "$seed_import"
echo
echo "seed template as written: $seed_broken"
echo "  repaired line: COPY --chown=appuser:appuser --from=builder /app/wheels /app/wheels"
echo "  sample adapted for it: serve.py, train.py -> src/; empty models/ (.gitkeep)"
for f in mlc seed; do
    if [[ -s $work/$f-hadolint.txt ]]; then
        echo
        echo "hadolint ($f):"
        sed 's|^.*/Dockerfile[^:]*:|  line |' "$work/$f-hadolint.txt"
    fi
done
echo
echo "layers of the mlcontain image (docker history):"
docker history --format '  {{.Size}}\t{{.CreatedBy}}' "$prefix-mlcontain" | cut -c1-110 | head -n 12
echo
echo "layers of the seed image (docker history):"
docker history --format '  {{.Size}}\t{{.CreatedBy}}' "$prefix-seed" | cut -c1-110 | head -n 14
