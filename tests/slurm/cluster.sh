#!/usr/bin/env bash
# A throw-away Slurm cluster in containers, for the Slurm end-to-end test:
#
#   tests/slurm/cluster.sh up SHARED_DIR     # controller + 2 compute nodes
#   tests/slurm/cluster.sh exec [-u USER] CMD...   # run CMD on the controller
#   tests/slurm/cluster.sh down
#
# One image (scripts/make-slurm-image.sh: Debian trixie, Slurm 24.11, munge,
# Apptainer) runs slurmctld on `slurmctld` and slurmd on `node1` and `node2`,
# on a private docker network. Each node declares 2 GPUs as GRES (fake device
# files, no driver) so Slurm sets CUDA_VISIBLE_DEVICES and
# SLURM_GPUS_ON_NODE like on a real GPU cluster. SHARED_DIR is bind-mounted at
# the same path everywhere (the cluster's shared filesystem). The user
# `alice` (UID 2345) exists on every host. The docker socket is mounted into
# the controller only, for `apptainer build ... docker-daemon://`.
#
# Container needs (seen in this sandbox): all capabilities (plain --privileged
# is refused here; CAP_SYS_RESOURCE is dropped where the engine can drop it),
# unconfined seccomp, AppArmor and system paths (--containall mounts a fresh
# /proc, which a masked /proc forbids), /dev/fuse (mode 666: non-root squashfuse
# mounts the SIF) and /dev/loop-control.
set -euo pipefail

PREFIX="${MLCONTAIN_SLURM_PREFIX:-mlcontain-slurm}"
NET="$PREFIX-net"
HOSTS=(slurmctld node1 node2)
USER_NAME=alice
USER_ID=2345

log() { printf 'slurm-cluster: %s\n' "$*" >&2; }
die() { printf 'slurm-cluster: error: %s\n' "$*" >&2; exit 1; }

container() { echo "$PREFIX-$1"; }

down() {
    local h
    for h in "${HOSTS[@]}"; do
        docker rm -f "$(container "$h")" >/dev/null 2>&1 || true
    done
    docker network rm "$NET" >/dev/null 2>&1 || true
}

slurm_conf() {
    cat <<CONF
ClusterName=mlcontain
SlurmctldHost=slurmctld
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
MinJobAge=3600
SlurmdTimeout=60
NodeName=node[1-2] CPUs=$(nproc) Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

up() {
    local shared="${1:?usage: cluster.sh up SHARED_DIR}"
    [[ -d $shared ]] || die "$shared is not a directory"
    shared="$(cd "$shared" && pwd)"
    local image
    image="$("$(dirname "${BASH_SOURCE[0]}")/../../scripts/make-slurm-image.sh")"
    down
    docker network create "$NET" >/dev/null
    local conf="$shared/.slurm-etc"
    mkdir -p "$conf"
    slurm_conf >"$conf/slurm.conf"
    echo "Name=gpu File=/dev/nvidia[0-1]" >"$conf/gres.conf"
    dd if=/dev/urandom of="$conf/munge.key" bs=1024 count=1 status=none
    chmod 600 "$conf/munge.key"

    # CAP_SYS_RESOURCE: dropped where the engine can drop it (the issue's
    # recipe); some sandboxes never grant it, and then --cap-drop is refused.
    local caps=(--cap-add ALL --cap-drop SYS_RESOURCE)
    if ! docker run --rm "${caps[@]}" "$image" true >/dev/null 2>&1; then
        caps=(--cap-add ALL)
    fi
    local h extra
    for h in "${HOSTS[@]}"; do
        extra=()
        [[ $h == slurmctld ]] && extra=(-v /var/run/docker.sock:/var/run/docker.sock)
        docker run -d --name "$(container "$h")" --hostname "$h" --network "$NET" \
            --network-alias "$h" \
            "${caps[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
            --security-opt systempaths=unconfined \
            --device /dev/fuse --device /dev/loop-control \
            -v "$shared:$shared" -v "$conf:/etc/mlcontain-slurm:ro" "${extra[@]}" \
            "$image" sleep infinity >/dev/null
    done
    for h in "${HOSTS[@]}"; do
        docker exec "$(container "$h")" bash -euc "
            chmod 666 /dev/fuse
            id $USER_NAME >/dev/null 2>&1 || useradd --uid $USER_ID --create-home --shell /bin/bash $USER_NAME
            install -m 644 /etc/mlcontain-slurm/slurm.conf /etc/slurm/slurm.conf
            install -m 644 /etc/mlcontain-slurm/gres.conf /etc/slurm/gres.conf
            install -o munge -g munge -m 400 /etc/mlcontain-slurm/munge.key /etc/munge/munge.key
            install -d -o munge -g munge -m 755 /run/munge
            install -d -o slurm -g slurm /var/spool/slurmctld /var/log/slurm
            install -d /var/spool/slurmd
            runuser -u munge -- /usr/sbin/munged
        "
    done
    docker exec "$(container slurmctld)" slurmctld
    for h in node1 node2; do
        # Fake GPUs: device files for GRES (no driver behind them).
        docker exec "$(container "$h")" bash -euc '
            for i in 0 1; do [[ -e /dev/nvidia$i ]] || mknod -m 666 /dev/nvidia$i c 195 $i; done
            slurmd
        '
    done

    for _ in $(seq 60); do
        if docker exec "$(container slurmctld)" sinfo -h -N -o '%N %t' 2>/dev/null |
            awk '$2 == "idle" { n++ } END { exit !(n == 2) }'; then
            log "cluster up: $(docker exec "$(container slurmctld)" sinfo -h -N -o '%N:%t:%G' | tr '\n' ' ')"
            return 0
        fi
        sleep 1
    done
    docker exec "$(container slurmctld)" sinfo -N >&2 || true
    docker exec "$(container slurmctld)" tail -n 30 /var/log/slurm/slurmctld.log >&2 || true
    for h in node1 node2; do
        docker exec "$(container "$h")" tail -n 30 /var/log/slurm/slurmd.log >&2 || true
    done
    die "the nodes did not become idle within 60 s"
}

case ${1:-} in
    up) shift; up "$@" ;;
    down) down ;;
    exec)
        shift
        user=()
        if [[ ${1:-} == -u ]]; then user=(-u "$2"); shift 2; fi
        docker exec -i "${user[@]}" "$(container slurmctld)" "$@"
        ;;
    logs)
        for h in "${HOSTS[@]}"; do
            echo "--- $h"
            docker exec "$(container "$h")" bash -c 'tail -n 40 /var/log/slurm/*.log' || true
        done
        ;;
    *) die "usage: cluster.sh up SHARED_DIR | exec [-u USER] CMD... | logs | down" ;;
esac
