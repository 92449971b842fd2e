#!/usr/bin/env bash
# Wizard figures for the release binary:
#   - time to the first full frame in a pseudo-terminal (120x40), with a
#     `docker` on PATH that hangs (so the tool probe is still running) and no
#     NVML, median and max over N runs (target <= 50 ms);
#   - stripped binary size (target <= 10 MB);
#   - peak resident memory (VmHWM) while the wizard runs (target <= 30 MB).
#
#   scripts/bench-tui.sh [runs]      (default 20; builds with cargo build --release)
# Uses CARGO_TARGET_DIR when set. Needs python3 (for the pty).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
runs="${1:-20}"
target="${CARGO_TARGET_DIR:-$repo_root/target}"
if [[ -z ${MLCONTAIN_BIN:-} ]]; then
    cargo build --release --quiet
    MLCONTAIN_BIN="$target/release/mlcontain"
fi
export MLCONTAIN_BIN

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/repo"
# A docker that never answers.
printf '#!/bin/sh\nexec sleep 30\n' > "$work/bin/docker"
chmod +x "$work/bin/docker"
printf 'torch==2.5.1\n' > "$work/repo/requirements.txt"

python3 - "$work" "$runs" <<'PY'
import os, pty, sys, time, select, struct, fcntl, termios, signal, statistics

work, runs = sys.argv[1], int(sys.argv[2])
binary = os.environ["MLCONTAIN_BIN"]
env = {
    "PATH": f"{work}/bin:/usr/bin:/bin",
    "HOME": work,
    "TERM": "xterm-256color",
    "LANG": "C.UTF-8",
    "MLCONTAIN_NVML_LIB": "/nonexistent/libnvidia-ml.so.1",
}

def one(measure_rss=False):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(f"{work}/repo")
        os.execve(binary, [binary], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    buf = b""
    first = None
    deadline = t0 + 10
    # The footer (last row) is part of every full frame: seeing it means
    # the whole first frame was written.
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            buf += chunk
            if b"\x1b[6n" in chunk:
                os.write(fd, b"\x1b[1;1R")
            if first is None and b"step 1/7" in buf and b"quit" in buf:
                first = time.perf_counter() - t0
                break
    rss = None
    if measure_rss:
        # Let detection finish (docker hangs until its deadline), use the UI.
        end = time.perf_counter() + 3
        for k in [b"\r", b"\r", b"j", b"\r", b"\t", b"j", b"j", b"\t", b"\t"]:
            os.write(fd, k)
            time.sleep(0.05)
        while time.perf_counter() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    os.read(fd, 65536)
                except OSError:
                    break
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM", "VmRSS")):
                    k, v = line.split(":")
                    rss = (rss or {}) | {k: int(v.split()[0])}
    os.kill(pid, signal.SIGTERM)
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r:
                break
            os.read(fd, 65536)
    except OSError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    return first, rss

times = []
for _ in range(runs):
    t, _ = one()
    if t is None:
        print("first frame: not seen within 10 s", file=sys.stderr)
        sys.exit(1)
    times.append(t * 1000)
_, rss = one(measure_rss=True)
size = os.path.getsize(binary)
print(f"first full frame (docker hanging, no NVML), {runs} runs: "
      f"median {statistics.median(times):.1f} ms, p90 {sorted(times)[int(len(times)*0.9)-1]:.1f} ms, "
      f"max {max(times):.1f} ms (target <= 50 ms)")
print(f"binary: {binary}: {size/1e6:.2f} MB ({size/2**20:.2f} MiB) (target <= 10 MB stripped)")
print(f"memory while the wizard runs: VmHWM {rss['VmHWM']/1024:.1f} MiB, VmRSS {rss['VmRSS']/1024:.1f} MiB (target <= 30 MB)")
PY
