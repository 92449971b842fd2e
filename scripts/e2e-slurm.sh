#!/usr/bin/env bash
# Slurm end-to-end test (real tools): a cluster of containers
# (tests/slurm/cluster.sh: slurmctld + 2 slurmd from Debian trixie's Slurm
# and munge, Apptainer from sid, 2 fake GPUs per node as GRES) runs what
# `mlcontain init --deploy slurm --nodes 2 --gpus 2` generated, as an
# ordinary user: the image built with `mlcontain build`, the generated .def
# built into a SIF with Apptainer (docker-daemon bootstrap), the generated
# sbatch submitted with sbatch.
#
# Part A, always (a plain-Python CUDA project, ~200 MB image):
#   A1. the sbatch as generated reaches COMPLETED: one task per node, each
#       sees CUDA_VISIBLE_DEVICES=0,1 from Slurm, runs as the caller's UID
#       and writes to the models bind (the SIF is read-only);
#   A2. the same job with --containall instead of --contain loses
#       CUDA_VISIBLE_DEVICES and every SLURM_* variable (why the sbatch uses
#       --contain).
# Part B, PyTorch (torch 2.5.1 from PyPI, a ~5.5 GB image, a ~3 GB SIF),
# by default (MLCONTAIN_SLURM_TORCH=0 skips it, saying so). It needs
# MLCONTAIN_SLURM_MIN_FREE_GB (default 18) free where Docker and the shared
# folder are once its image is built (and MLCONTAIN_SLURM_IMAGE_GB, default
# 10, more before a cold image build); with less it is skipped with the
# reason, or FAILS when MLCONTAIN_REQUIRE_SLURM_TORCH=1 (set it where the
# disk is known to be large enough; .ci/run leaves the choice to the disk):
#   B1. as generated, the verify step fails the job: torch sees 0 of the 2
#       GPUs Slurm allocated (the GPUs are fake) -> FAILED;
#   B2. MLCONTAIN_VERIFY=0: torchrun, one per node, 2 ranks each, gloo
#       all_reduce across 2 nodes x 2 ranks -> COMPLETED;
#   B3. --containall: every rank loses CUDA_VISIBLE_DEVICES and every SLURM_*
#       variable.
#
#   scripts/e2e-slurm.sh            (root; a docker engine)
#
# The SIFs are squashed with MLCONTAIN_SLURM_MKSQUASHFS_ARGS (default
# "-comp zstd -Xcompression-level 1": the documented `apptainer build` line
# plus a faster compressor than mksquashfs's gzip; set it empty for the
# default). Prints the time of each stage. MLCONTAIN_SLURM_WORK (default
# /var/tmp/mlcontain-slurm-e2e) holds the shared folder; it is removed at the
# end unless MLCONTAIN_SLURM_KEEP=1.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
log() { printf '\n== e2e-slurm: %s\n' "$*"; }
fail() { printf 'e2e-slurm: FAIL: %s\n' "$*" >&2; exit 1; }
export MLCONTAIN_SLURM_PREFIX="${MLCONTAIN_SLURM_PREFIX:-mlcontain-slurm}"
cluster=("$repo_root/tests/slurm/cluster.sh")

work="${MLCONTAIN_SLURM_WORK:-/var/tmp/mlcontain-slurm-e2e}"
shared="$work/shared"
user=alice
need_gb=0 # free space (GB) the SIF build needs; part B sets it
squash_args="${MLCONTAIN_SLURM_MKSQUASHFS_ARGS--comp zstd -Xcompression-level 1}"
[[ $squash_args =~ ^[A-Za-z0-9\ ._-]*$ ]] || fail "MLCONTAIN_SLURM_MKSQUASHFS_ARGS: only letters, digits, spaces, . _ -"
uid=2345
passed=0
images=()

cleanup() {
    local rc=$?
    if ((rc != 0)); then
        "${cluster[@]}" logs 2>/dev/null | tail -n 60 >&2 || true
        for f in "$shared"/*/deploy/slurm/logs/*.out; do
            [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
        done
    fi
    "${cluster[@]}" down || true
    if [[ ${MLCONTAIN_SLURM_KEEP:-0} != 1 ]]; then
        rm -rf "$work"
        ((${#images[@]} == 0)) || docker image rm "${images[@]}" >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap cleanup EXIT

mlcontain="${MLCONTAIN_BIN:-$repo_root/target/debug/mlcontain}"
[[ -x $mlcontain ]] || cargo build --locked --bin mlcontain

rm -rf "$work"
mkdir -p "$shared"
chmod 755 "$work" "$shared"

# init + build + SIF for one project; sets t_image and t_sif.
prepare() {
    local project=$1 fixture=$2
    shift 2
    local proj="$shared/$project"
    mkdir -p "$proj"
    cp "tests/fixtures/$fixture"/* "$proj/"
    log "$project: mlcontain init $* --deploy slurm --nodes 2 --gpus 2"
    (cd "$proj" && "$mlcontain" init --yes "$@" --allow-incompatible --stages training \
        --deploy slurm --nodes 2 --gpus 2 >/dev/null)
    for f in deploy/slurm/train.sbatch deploy/slurm/mlcontain.def deploy/slurm/logs/.gitignore docker-bake.hcl; do
        [[ -f $proj/$f ]] || fail "init did not write $f"
    done
    bash -n "$proj/deploy/slurm/train.sbatch"
    if ((need_gb > 0)); then
        # A cold torch image build (PyPI's wheels, the layers) needs room too:
        # check before it, so a small disk skips (or fails) with the reason
        # instead of dying of ENOSPC half-way.
        local pre=$((need_gb + ${MLCONTAIN_SLURM_IMAGE_GB:-10})) free0
        free0="$(least_free_gb "$work" "$(docker info -f '{{.DockerRootDir}}')")"
        if ((free0 < pre)) && ! docker image inspect "$project-training:latest" >/dev/null 2>&1; then
            local why0="part B (PyTorch) needs ${pre} GB free to build the ~5.5 GB torch image and its SIF (MLCONTAIN_SLURM_MIN_FREE_GB + MLCONTAIN_SLURM_IMAGE_GB); $work and Docker's data root have ${free0} GB"
            [[ ${MLCONTAIN_REQUIRE_SLURM_TORCH:-0} == 1 ]] && fail "$why0 (MLCONTAIN_REQUIRE_SLURM_TORCH=1: not skipping)"
            echo "e2e-slurm: SKIP $why0"
            echo "e2e-slurm: $passed passed, 0 failed, 3 skipped"
            exit 0
        fi
    fi
    log "$project: mlcontain build --target training"
    local t=$SECONDS
    (cd "$proj" && "$mlcontain" build --target training --progress quiet >/dev/null)
    images+=("$project-training:latest")
    t_image=$((SECONDS - t))
    if ((need_gb > 0)); then
        local free
        free="$(least_free_gb "$work" "$(docker info -f '{{.DockerRootDir}}')")"
        if ((free < need_gb)); then
            local why="part B (PyTorch) needs ${need_gb} GB free for the SIF build of the ~5.5 GB torch image (MLCONTAIN_SLURM_MIN_FREE_GB); $work and Docker's data root have ${free} GB"
            [[ ${MLCONTAIN_REQUIRE_SLURM_TORCH:-0} == 1 ]] && fail "$why (MLCONTAIN_REQUIRE_SLURM_TORCH=1: not skipping)"
            echo "e2e-slurm: SKIP $why"
            echo "e2e-slurm: $passed passed, 0 failed, 3 skipped"
            exit 0
        fi
        echo "e2e-slurm: $project: ${free} GB free for the SIF build (needs ${need_gb})"
    fi
    log "$project: apptainer build of the generated .def (docker-daemon bootstrap)"
    t=$SECONDS
    # Root's %test run asks for every capability; where the sandbox cannot
    # grant CAP_SYS_RESOURCE at all (cluster.sh's fallback) it fails with
    # "Requesting capability set ... while permitted capability set is ...".
    # There the build skips it and the user runs the generated %test on the
    # SIF instead (`apptainer test`, as the job would: unprivileged).
    local notest=() user_test=0 squash=()
    [[ -z $squash_args ]] || squash=(--mksquashfs-args "'$squash_args'")
    if grep -q '^%test' "$proj/deploy/slurm/mlcontain.def" && ! sys_resource_ok; then
        notest=(--notest)
        user_test=1
    fi
    "${cluster[@]}" exec env APPTAINER_TMPDIR="/var/tmp/apptainer-tmp" APPTAINER_CACHEDIR="/var/tmp/apptainer-cache" \
        bash -euo pipefail -c "mkdir -p /var/tmp/apptainer-tmp /var/tmp/apptainer-cache && cd '$proj' &&
            apptainer build ${notest[*]} ${squash[*]} deploy/slurm/$project.sif deploy/slurm/mlcontain.def 2>&1 |
                while IFS= read -r l; do [[ \$l == *gocryptfs* ]] || printf '[%(%T)T] %s\\n' -1 \"\$l\"; done
            rm -rf /var/tmp/apptainer-tmp /var/tmp/apptainer-cache"
    t_sif=$((SECONDS - t))
    [[ -f $proj/deploy/slurm/$project.sif ]] || fail "apptainer build wrote no deploy/slurm/$project.sif"
    sif_size="$(du -h "$proj/deploy/slurm/$project.sif" | cut -f1)"
    # The user's checkout on the shared filesystem.
    chown -R "$uid:$uid" "$proj"
    if ((user_test)); then
        log "$project: the .def's %test, as $user on the SIF (apptainer test)"
        "${cluster[@]}" exec -u "$user" bash -euo pipefail -c "cd '$proj' && apptainer test deploy/slurm/$project.sif 2>&1 | { grep -v gocryptfs || true; }" ||
            fail "apptainer test deploy/slurm/$project.sif failed"
    fi
    sed 's/ --contain / --containall /' "$proj/deploy/slurm/train.sbatch" >"$proj/deploy/slurm/containall.sbatch"
    grep -q -- ' --containall ' "$proj/deploy/slurm/containall.sbatch" || fail "could not make the --containall variant"
    chown "$uid:$uid" "$proj/deploy/slurm/containall.sbatch"
}

# submit PROJECT SBATCH_FILE [ENV=VALUE...]: sbatch as the user from the
# repository root, then wait for the job to end (polled each second:
# `sbatch --wait` polls ever more slowly, ~25 s lost per job); prints the
# job id.
submit() {
    local project=$1 file=$2 out id state i
    shift 2
    out="$("${cluster[@]}" exec -u "$user" env "$@" bash -c "cd '$shared/$project' && sbatch --parsable $file" 2>&1)" ||
        { echo "$out" >&2; fail "sbatch $file failed"; }
    id="$(grep -Eo '^[0-9]+' <<<"$out" | head -n 1)"
    [[ -n $id ]] || { echo "$out" >&2; fail "sbatch $file gave no job id"; }
    for ((i = 0; i < 900; i++)); do
        state="$(job_state "$id")"
        case $state in
            PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | "") sleep 1 ;;
            *) echo "$id"; return 0 ;;
        esac
    done
    fail "job $id still $state after 900 s"
}
job_state() {
    "${cluster[@]}" exec scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}
# One line per job for the log: id, state, exit code, run time, nodes (no
# slurmdbd here, so scontrol rather than sacct).
job_summary() {
    "${cluster[@]}" exec scontrol show job -o "$1" | tr ' ' '\n' |
        grep -E '^(JobId|JobName|JobState|ExitCode|RunTime|NodeList|NumNodes)=' | tr '\n' ' '
    echo
}
# least_free_gb DIR...: the least free space (GB) of the filesystems holding DIRs.
least_free_gb() {
    df -Pk "$@" | awk 'NR > 1 && (min == "" || $4 < min) { min = $4 } END { print int(min / 1024 / 1024) }'
}
# Whether root on the controller holds CAP_SYS_RESOURCE (bit 24).
sys_resource_ok() {
    local bnd
    bnd="$("${cluster[@]}" exec sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)"
    (((16#$bnd >> 24) & 1))
}
job_log() {
    cat "$shared/$1/deploy/slurm/logs/$1-training-$2.out"
}

log "cluster up"
t=$SECONDS
"${cluster[@]}" up "$shared"
t_cluster=$((SECONDS - t))

# ---- Part A: plain Python, CUDA plan ----------------------------------------
p=slurmlite
prepare "$p" slurm-lite --framework none --cuda 12.4 --python 3.10
a_image=$t_image a_sif=$t_sif a_sif_size=$sif_size
grep -q -- '--gpus-per-node=2' "$shared/$p/deploy/slurm/train.sbatch" || fail "no --gpus-per-node=2"

log "A1: $p, the sbatch as generated"
t=$SECONDS
j="$(submit "$p" deploy/slurm/train.sbatch)"
job_summary "$j"
a_job=$((SECONDS - t))
job_log "$p" "$j" | grep -E '^(lite|mlcontain verify)' || true
[[ $(job_state "$j") == COMPLETED ]] || { job_log "$p" "$j"; fail "job $j: expected COMPLETED, got $(job_state "$j")"; }
for n in node1 node2; do
    job_log "$p" "$j" | grep -q "^lite host=$n uid=$uid CUDA_VISIBLE_DEVICES=0,1 SLURM_PROCID=[01] SLURM_GPUS_ON_NODE=2 slurm_vars=[1-9][0-9]*$" ||
        fail "job $j: no task on $n with uid $uid and CUDA_VISIBLE_DEVICES=0,1"
    [[ $(stat -c %u "$shared/$p/models/$n.txt" 2>/dev/null) == "$uid" ]] ||
        fail "job $j: $n did not write models/$n.txt as $uid"
done
passed=$((passed + 1))

log "A2: $p, the same job with --containall"
j="$(submit "$p" deploy/slurm/containall.sbatch)"
job_summary "$j"
job_log "$p" "$j" | grep -E '^lite' || true
lost="$(job_log "$p" "$j" | grep -c '^lite .*CUDA_VISIBLE_DEVICES=None SLURM_PROCID=None SLURM_GPUS_ON_NODE=None slurm_vars=0$' || true)"
((lost == 2)) || fail "job $j: expected both tasks to lose CUDA_VISIBLE_DEVICES and every SLURM_* variable (got $lost)"
echo "--containall: $lost task(s) ran without CUDA_VISIBLE_DEVICES and without any SLURM_* variable"
passed=$((passed + 1))
rm -f "$shared/$p/deploy/slurm/$p.sif"
log "part A times: image ${a_image} s, SIF ${a_sif} s ($a_sif_size), job ${a_job} s, cluster up ${t_cluster} s"

# ---- Part B: PyTorch, torchrun and gloo -------------------------------------
if [[ ${MLCONTAIN_SLURM_TORCH:-1} == 0 ]]; then
    echo "e2e-slurm: SKIP part B (PyTorch): MLCONTAIN_SLURM_TORCH=0"
    echo "e2e-slurm: $passed passed, 0 failed, 3 skipped"
    exit 0
fi
# The disk check comes after the image build (in prepare: the torch layers
# are often in the build cache already), before the SIF: that step's
# temporary files (the daemon's image as a tar, the extracted root
# filesystem, the squashfs) peaked at 13.9 GB, plus the 3.0 GB SIF.
need_gb="${MLCONTAIN_SLURM_MIN_FREE_GB:-18}"
p=slurmsmoke
prepare "$p" slurm-smoke --framework pytorch --cuda 12.4 --python 3.11
b_image=$t_image b_sif=$t_sif b_sif_size=$sif_size

log "B1: $p, the sbatch as generated (the verify step must fail on fake GPUs)"
t=$SECONDS
j="$(submit "$p" deploy/slurm/train.sbatch)"
job_summary "$j"
b_job1=$((SECONDS - t))
[[ $(job_state "$j") == FAILED ]] || fail "job $j: expected FAILED, got $(job_state "$j")"
job_log "$p" "$j" | grep "mlcontain verify" | head -n 2
job_log "$p" "$j" | grep -q "sees 0 GPU(s) but Slurm allocated 2" ||
    { job_log "$p" "$j"; fail "job $j: the verify step did not report 0 of 2 GPUs"; }
passed=$((passed + 1))

log "B2: $p, MLCONTAIN_VERIFY=0: gloo across 2 nodes x 2 ranks"
t=$SECONDS
j="$(submit "$p" deploy/slurm/train.sbatch MLCONTAIN_VERIFY=0)"
job_summary "$j"
b_job2=$((SECONDS - t))
job_log "$p" "$j" | grep '^smoke ' || true
[[ $(job_state "$j") == COMPLETED ]] || { job_log "$p" "$j"; fail "job $j: expected COMPLETED, got $(job_state "$j")"; }
ranks="$(job_log "$p" "$j" | grep -c "^smoke rank=[0-3]/4 .*backend=gloo sum=10 uid=$uid CUDA_VISIBLE_DEVICES=0,1 SLURM_JOB_ID=$j " || true)"
((ranks == 4)) || fail "job $j: expected 4 ranks with sum=10, uid $uid and CUDA_VISIBLE_DEVICES=0,1; got $ranks"
for n in node1 node2; do
    job_log "$p" "$j" | grep -q "^smoke .* host=$n " || fail "job $j: no rank ran on $n"
done
[[ $(cat "$shared/$p/models/smoke.txt") == "world=4 sum=10" ]] || fail "models/smoke.txt not written by rank 0"
[[ $(stat -c %u "$shared/$p/models/smoke.txt") == "$uid" ]] || fail "models/smoke.txt is not owned by $uid"
passed=$((passed + 1))

log "B3: $p, the same job with --containall"
j="$(submit "$p" deploy/slurm/containall.sbatch MLCONTAIN_VERIFY=0)"
job_summary "$j"
job_log "$p" "$j" | grep '^smoke ' || true
lost="$(job_log "$p" "$j" | grep -c '^smoke .*CUDA_VISIBLE_DEVICES=None .*SLURM_PROCID=None slurm_vars=0$' || true)"
kept="$(job_log "$p" "$j" | grep -c 'CUDA_VISIBLE_DEVICES=0,1' || true)"
((lost == 4 && kept == 0)) || fail "job $j: expected all 4 ranks to lose CUDA_VISIBLE_DEVICES and every SLURM_* variable (lost $lost, kept $kept)"
passed=$((passed + 1))
rm -f "$shared/$p/deploy/slurm/$p.sif"

log "part B times: image ${b_image} s, SIF ${b_sif} s ($b_sif_size), job B1 ${b_job1} s, job B2 (2x2 gloo) ${b_job2} s"
log "total ${SECONDS} s"
echo "e2e-slurm: $passed passed, 0 failed"
