#!/usr/bin/env python3
"""Count the ESC bytes mlcontain writes on a pseudo-terminal.

Usage: scripts/measure-escapes.py BINARY [ARGS...]
       (e.g. scripts/measure-escapes.py target/debug/mlcontain init --plain)

Runs BINARY with ARGS in a throw-away repository (requirements.txt pinning
torch, a train.py) on a pseudo-terminal with TERM=dumb (MEASURE_TERM=xterm
sets another, MEASURE_TERM= none at all), no GPU library
and an empty PATH, presses Enter whenever the output has been quiet for
0.3 s (every default), and prints the exit status, the bytes written, the
ESC (0x1b) bytes among them and the files written. NO_COLOR is passed on
when set. The PTY tests (tests/pty_wizard.rs) assert the count is 0.
"""

import os
import pty
import select
import shutil
import sys
import tempfile
import time


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    repo = tempfile.mkdtemp(prefix="mlcontain-esc-")
    try:
        with open(os.path.join(repo, "requirements.txt"), "w") as f:
            f.write("torch==2.5.1\nnumpy\n")
        with open(os.path.join(repo, "train.py"), "w") as f:
            f.write("import torch\nprint(1)\n")
        env = {
            "PATH": "/nonexistent",
            "HOME": repo,
            "LANG": "C.UTF-8",
            "MLCONTAIN_NVML_LIB": "/nonexistent/libnvidia-ml.so.1",
        }
        term = os.environ.get("MEASURE_TERM", "dumb")
        if term:
            env["TERM"] = term
        if os.environ.get("NO_COLOR"):
            env["NO_COLOR"] = os.environ["NO_COLOR"]
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(repo)
            os.execve(binary, [binary] + sys.argv[2:], env)
        out = b""
        deadline = time.time() + 60
        last = time.time()
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.3)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                last = time.time()
            elif time.time() - last > 0.3:
                os.write(fd, b"\r")
                last = time.time()
        _, status = os.waitpid(pid, 0)
        files = sorted(set(os.listdir(repo)) - {"requirements.txt", "train.py"})
        esc = out.count(b"\x1b")
        print(
            f"TERM={term or '(unset)'} {' '.join(sys.argv[2:]) or '(no args)'}: "
            f"exit {os.waitstatus_to_exitcode(status)}, {len(out)} bytes, "
            f"{esc} ESC, wrote {files}"
        )
        return 0
    finally:
        shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
