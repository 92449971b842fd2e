if have is not None and have < want:
    print("mlcontain verify: %s: %s sees %d GPU(s) but Slurm allocated %d (SLURM_GPUS_ON_NODE, CUDA_VISIBLE_DEVICES=%s): check the node has the NVIDIA driver and the job runs apptainer with --nv" % (host, what, have, want, cvd), file=sys.stderr, flush=True)
    sys.exit(1)
seen = "no framework to count GPUs with" if have is None else "sees %d GPU(s)" % have
print("mlcontain verify: %s: %s %s; Slurm allocated %d (CUDA_VISIBLE_DEVICES=%s)" % (host, what, seen, want, cvd), flush=True)
