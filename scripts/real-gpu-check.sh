#!/usr/bin/env bash
# Compare `mlcontain detect --json` with nvidia-smi on a machine with a real
# NVIDIA GPU, field by field. Prints PASS/FAIL per field; exits 1 on any
# mismatch, 2 when the machine has no usable nvidia-smi.
#
#   scripts/real-gpu-check.sh            # builds with cargo build --release
#   MLCONTAIN=/path/to/mlcontain scripts/real-gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "nvidia-smi not found: this check needs a machine with an NVIDIA driver" >&2
    exit 2
fi
if [ -z "${MLCONTAIN:-}" ]; then
    cargo build --release --quiet
    MLCONTAIN="${CARGO_TARGET_DIR:-target}/release/mlcontain"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/empty"

"$MLCONTAIN" --dir "$work/empty" detect --json >"$work/detect.json"
nvidia-smi --query-gpu=index,name,uuid,memory.total,compute_cap,driver_version,mig.mode.current \
    --format=csv,noheader,nounits >"$work/smi.csv" 2>"$work/smi.err" || {
    # Old drivers lack compute_cap / mig.mode.current: ask without them.
    nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version \
        --format=csv,noheader,nounits >"$work/smi.csv"
    echo "old" >"$work/smi.old"
}
nvidia-smi >"$work/smi.txt" 2>&1 || true

python3 - "$work" <<'PY'
import csv, json, re, sys, os

work = sys.argv[1]
facts = json.load(open(os.path.join(work, "detect.json")))
old = os.path.exists(os.path.join(work, "smi.old"))
cols = (["index", "name", "uuid", "memory.total", "driver_version"] if old else
        ["index", "name", "uuid", "memory.total", "compute_cap", "driver_version", "mig.mode.current"])
rows = [dict(zip(cols, [c.strip() for c in r]))
        for r in csv.reader(open(os.path.join(work, "smi.csv"))) if r]
failures = 0

def check(label, ours, theirs):
    global failures
    if theirs in (None, "", "[N/A]", "N/A"):
        print(f"SKIP  {label}: nvidia-smi does not report it (mlcontain: {ours!r})")
        return
    ok = str(ours) == str(theirs)
    if not ok:
        failures += 1
    print(f"{'PASS' if ok else 'FAIL'}  {label}: mlcontain={ours!r} nvidia-smi={theirs!r}")

check("nvml.available", facts["nvml"]["available"], True)
check("GPU count", len(facts["gpus"]), len(rows))
driver = facts.get("driver") or {}
if rows:
    check("driver version", driver.get("version"), rows[0]["driver_version"])
m = re.search(r"CUDA Version:\s*([0-9.]+)", open(os.path.join(work, "smi.txt")).read())
check("driver CUDA version", driver.get("cuda_max"), m.group(1) if m else None)
gpus = {g["index"]: g for g in facts["gpus"]}
for r in rows:
    i = int(r["index"])
    g = gpus.get(i)
    if g is None:
        check(f"GPU {i} present", None, "present")
        continue
    check(f"GPU {i} name", g["name"], r["name"])
    check(f"GPU {i} uuid", g["uuid"], r["uuid"])
    check(f"GPU {i} memory MiB", g["memory_mib"], int(r["memory.total"]) if r["memory.total"].isdigit() else r["memory.total"])
    if not old:
        check(f"GPU {i} compute capability", g["compute_capability"], r["compute_cap"])
        mig = r.get("mig.mode.current")
        if mig not in (None, "[N/A]", "N/A"):
            check(f"GPU {i} MIG enabled", g["mig_enabled"], mig == "Enabled")
    if g.get("errors"):
        print(f"NOTE  GPU {i} errors: {g['errors']}")

print()
print("all fields match" if failures == 0 else f"{failures} field(s) differ")
sys.exit(1 if failures else 0)
PY
