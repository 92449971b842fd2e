print("mlcontain verify: %s: %s (a CPU image: the %d GPU(s) Slurm allocated are not used)" % (host, what, want), flush=True)
