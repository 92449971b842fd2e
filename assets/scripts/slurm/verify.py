import os, socket, sys
cvd = os.environ.get("CUDA_VISIBLE_DEVICES")
listed = [d for d in (cvd or "").split(",") if d.strip() not in ("", "NoDevFiles", "-1")]
want = max(int(os.environ.get("SLURM_GPUS_ON_NODE") or 0), len(listed))
__COUNT__
host = socket.gethostname()
__REPORT__
