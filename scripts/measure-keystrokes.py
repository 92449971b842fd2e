#!/usr/bin/env python3
"""Keystrokes from launching the full-screen wizard to written files (issue 13).

Runs the real binary in a pseudo-terminal on a small repository (a pinned
torch requirement and a training script), twice:
  - the fast path: `r` (straight to Review with the planner's defaults), `w`;
  - every question answered with Enter (the defaults), then `w` on Review.
Each run must end with exit 0 and the five generated files on disk.

    scripts/measure-keystrokes.py [path/to/mlcontain]   (default target/debug/mlcontain)
"""
import os
import pty
import select
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/mlcontain")
FILES = ["Dockerfile", "compose.yaml", ".dockerignore", "README.Docker.md", "mlcontain.yaml"]


def run(keys_for):
    repo = tempfile.mkdtemp(prefix="mlc-keys-")
    home = tempfile.mkdtemp(prefix="mlc-home-")
    with open(os.path.join(repo, "requirements.txt"), "w") as f:
        f.write("torch==2.5.1\n")
    with open(os.path.join(repo, "train.py"), "w") as f:
        f.write("import torch\nif __name__ == '__main__':\n    print(torch.ones(1))\n")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(repo)
        env = {"TERM": "xterm-256color", "HOME": home, "PATH": os.environ.get("PATH", ""),
               "LINES": "24", "COLUMNS": "80"}
        os.execve(BIN, [BIN], env)
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = bytearray()

    def read_until(needle, timeout=20.0):
        end = time.time() + timeout
        while time.time() < end:
            if needle.encode() in out:
                return True
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    out.extend(os.read(fd, 65536))
                except OSError:
                    return needle.encode() in out
        return False

    # ratatui redraws only the cells that change: wait for text that is
    # new on each screen (the Review step's action rows).
    if not read_until("Project: "):
        raise SystemExit("the wizard did not show the host step")
    n = keys_for(fd, out, read_until)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    missing = [f for f in FILES if not os.path.isfile(os.path.join(repo, f))]
    if code != 0 or missing:
        raise SystemExit(f"exit {code}, missing {missing}:\n{out.decode(errors='replace')[-2000:]}")
    return n


def fast(fd, out, read_until):
    os.write(fd, b"r")
    if not read_until("Write the files"):
        raise SystemExit("r did not reach Review")
    os.write(fd, b"w")
    return 2


def every_question(fd, out, read_until):
    n = 0
    while b"Write the files" not in out:
        os.write(fd, b"\r")
        n += 1
        read_until("\x00", timeout=0.4)  # let it redraw
        if n > 60:
            raise SystemExit("Enter never reached Review")
    os.write(fd, b"w")
    return n + 1


if __name__ == "__main__":
    a = run(fast)
    b = run(every_question)
    print(f"fast path (r, w): {a} keystrokes from launch to written files")
    print(f"every question with Enter, then w: {b} keystrokes")
