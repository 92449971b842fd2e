#!/usr/bin/env bash
# Set up a working Docker engine (with compose v2 and buildx CLI plugins) on a
# Debian bookworm machine, for the Docker end-to-end tests. Needs root.
#
#   1. debootstrap (bookworm) and docker.io 26.x + docker-cli (trixie .debs,
#      see below; MLCONTAIN_DOCKER_ENGINE=bookworm for bookworm's 20.10)
#   2. docker compose v2 / docker buildx plugins (trixie .debs; bookworm
#      lacks them), from the SAME mirror this machine uses
#   3. start dockerd in the background unless the socket already answers
#
# Idempotent: every step is skipped when already done.
# Environment:
#   DOCKERD_LOG   where dockerd logs (default /var/log/mlcontain-dockerd.log)
#   SKIP_APT_UPDATE=1   do not run apt-get update before installing
#   MLCONTAIN_DEBIAN_MIRROR   override the mirror read from /etc/apt/sources.list*
#   DOCKERD_EXTRA_ARGS  extra dockerd flags (word-split)
#
# `docker-env.sh --print-mirror` only prints the mirror (no root needed).
set -euo pipefail

log() { printf 'docker-env: %s\n' "$*"; }
die() { printf 'docker-env: error: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
PLUGIN_DIR=/usr/libexec/docker/cli-plugins
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/mlcontain-dockerd.log}"

# Print the Debian mirror URI this machine uses ($MLCONTAIN_DEBIAN_MIRROR wins) (the first one serving a plain
# bookworm suite), from deb822 *.sources files or one-line *.list files.
debian_mirror() {
    local f
    if [[ -n ${MLCONTAIN_DEBIAN_MIRROR:-} ]]; then
        echo "${MLCONTAIN_DEBIAN_MIRROR%/}"
        return
    fi
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [[ -f $f ]] || continue
            # deb822: blank-line separated stanzas; "URIs:" and "Suites:" fields.
            awk '
                /^[[:space:]]*#/ { next }
                /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri; uri = ""; suites = ""; next }
                tolower($1) == "uris:"   { uri = $2 }
                tolower($1) == "suites:" { $1 = ""; suites = $0 " " }
                END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }
            ' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f $f ]] || continue
            # one-line: deb [opts] URI suite components...
            sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' "$f"
        done
    } | awk 'NR == 1 { sub(/\/+$/, ""); print }'
}


if [[ ${1:-} == --print-mirror ]]; then
    m="$(debian_mirror)"
    [[ -n $m ]] || die "no Debian bookworm mirror found in /etc/apt/sources.list*"
    echo "$m"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v apt-get >/dev/null || die "apt-get not found (Debian/Ubuntu only)"

# --- 1+2. packages -------------------------------------------------------------
# Bookworm's docker.io is engine 20.10 (BuildKit 0.8: no Dockerfile heredocs,
# no COPY --link) and bookworm has no compose v2 / buildx at all. Debian
# trixie's docker.io (26.x), docker-cli, docker-compose (v2) and docker-buildx
# only need libc6 >= 2.34 plus bookworm's containerd/runc/tini/iptables, so
# they install cleanly here: their .debs are fetched from the SAME mirror this
# machine uses via a throw-away apt configuration (no trixie source is left
# behind) and installed with apt, which pulls the rest from bookworm.
# MLCONTAIN_DOCKER_ENGINE=bookworm keeps bookworm's docker.io 20.10 instead.
ENGINE="${MLCONTAIN_DOCKER_ENGINE:-trixie}"
case $ENGINE in trixie | bookworm) ;; *) die "MLCONTAIN_DOCKER_ENGINE must be trixie or bookworm" ;; esac

# The docker CLI (/usr/bin/docker, and /usr/local/bin/docker where present)
# looks for plugins in ~/.docker/cli-plugins, /usr/local/lib/docker/cli-plugins,
# /usr/local/libexec/docker/cli-plugins, /usr/lib/docker/cli-plugins and
# /usr/libexec/docker/cli-plugins; the Debian packages install into the last.
have_plugins() {
    [[ -x $PLUGIN_DIR/docker-compose && -x $PLUGIN_DIR/docker-buildx ]] &&
        docker compose version >/dev/null 2>&1 &&
        docker buildx version >/dev/null 2>&1
}
engine_major() {
    local v
    v="$(dpkg-query -W -f '${Status} ${Version}' docker.io 2>/dev/null || true)"
    [[ $v == "install ok installed "* ]] || return 0
    v="${v#install ok installed }"
    echo "${v%%.*}"
}

bookworm_pkgs=()
trixie_pkgs=()
command -v debootstrap >/dev/null || bookworm_pkgs+=(debootstrap)
if [[ $ENGINE == trixie ]]; then
    major="$(engine_major)"
    if [[ -z $major || $major -lt 26 ]]; then
        trixie_pkgs+=(docker.io)
    fi
    command -v /usr/bin/docker >/dev/null || trixie_pkgs+=(docker-cli)
else
    command -v dockerd >/dev/null || bookworm_pkgs+=(docker.io)
fi
have_plugins || trixie_pkgs+=(docker-compose docker-buildx)

if ((${#bookworm_pkgs[@]} + ${#trixie_pkgs[@]})); then
    if [[ ${SKIP_APT_UPDATE:-0} != 1 ]]; then
        log "apt-get update"
        apt-get update -qq
    fi
    local_debs=()
    if ((${#trixie_pkgs[@]})); then
        mirror="$(debian_mirror)"
        [[ -n $mirror ]] || die "could not find the Debian mirror in /etc/apt/sources.list*"
        log "fetching trixie ${trixie_pkgs[*]} from $mirror"
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        echo "deb [signed-by=$keyring] $mirror trixie main" >"$tmp/trixie.list"
        apt_opts=(
            -o "Dir::Etc::sourcelist=$tmp/trixie.list"
            -o "Dir::Etc::sourceparts=-"
            -o "Dir::State::Lists=$tmp/lists"
            -o "Dir::Cache=$tmp/cache"
            -o "APT::Get::List-Cleanup=0"
            -o "APT::Sandbox::User=root"
            -o "Debug::NoLocking=1"
        )
        apt-get "${apt_opts[@]}" update -qq
        (cd "$tmp/debs" && apt-get "${apt_opts[@]}" download -q "${trixie_pkgs[@]}")
        local_debs=("$tmp"/debs/*.deb)
    fi
    log "installing ${bookworm_pkgs[*]} ${local_debs[*]##*/}"
    # policy-rc.d / no systemd: the packages' service start is skipped; dockerd
    # is started below.
    apt-get install -y -qq --no-install-recommends \
        "${bookworm_pkgs[@]}" "${local_debs[@]}" >/dev/null
    if ((${#trixie_pkgs[@]})); then
        rm -rf "$tmp"
        trap - EXIT
    fi
    have_plugins || die "docker compose/buildx do not run after installing"
else
    log "docker engine, CLI plugins and debootstrap already installed"
fi
command -v dockerd >/dev/null || die "dockerd missing after install"
log "$(docker compose version)"
log "buildx $(docker buildx version)"

# --- 3. dockerd -------------------------------------------------------------------
# A daemon left running from before an engine upgrade is stopped first.
want_version="$(dockerd --version | sed -E 's/^Docker version ([^,]+),.*/\1/')"
running_version="$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)"
if [[ -n $running_version && $running_version != "$want_version" && -s /var/run/docker.pid ]]; then
    log "restarting dockerd $running_version -> $want_version"
    kill "$(cat /var/run/docker.pid)" || true
    for _ in $(seq 30); do
        docker info >/dev/null 2>&1 || break
        sleep 1
    done
fi

if docker info >/dev/null 2>&1; then
    log "docker engine already answering"
else
    if [[ -S /var/run/docker.sock ]] && pgrep -x dockerd >/dev/null; then
        log "dockerd is running but not answering yet; waiting"
    else
        # Containers get the host's DNS servers: dockerd copies /etc/resolv.conf
        # unless it only lists loopback resolvers (then it falls back to public
        # DNS, which may be unreachable here), so pass them explicitly.
        dns_args=()
        while read -r ns; do
            case $ns in
                127.* | ::1 | "") ;;
                *) dns_args+=(--dns "$ns") ;;
            esac
        done < <(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf 2>/dev/null || true)
        log "starting dockerd (log: $DOCKERD_LOG)"
        mkdir -p "$(dirname "$DOCKERD_LOG")"
        # shellcheck disable=SC2086
        setsid nohup dockerd "${dns_args[@]}" ${DOCKERD_EXTRA_ARGS:-} >>"$DOCKERD_LOG" 2>&1 </dev/null &
        disown || true
    fi
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        die "docker engine did not come up within 60 s (see $DOCKERD_LOG)"
    fi
fi
log "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) ($(docker info --format '{{.Driver}}' 2>/dev/null) storage)"
