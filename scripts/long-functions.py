#!/usr/bin/env python3
"""List the functions in src/ longer than N lines (default 150), longest first.

Usage: scripts/long-functions.py [N] [--top K]

Counts like clippy's `too_many_lines`: the lines of a function's body
(from the line of `fn` to its closing brace), not counting blank lines
and lines that hold only a comment. Strings, chars and comments are
blanked before braces are matched. Exit status 1 when a function is
over N lines (0 with --top, which only lists).
"""

import os
import re
import sys


def blank(text):
    """Source text with comments, strings and chars replaced by spaces
    (newlines kept, so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if c == "/" and nxt == "*":
            depth = 0
            while i < n:
                if text.startswith("/*", i):
                    depth += 1
                    out.append("  ")
                    i += 2
                elif text.startswith("*/", i):
                    depth -= 1
                    out.append("  ")
                    i += 2
                    if depth == 0:
                        break
                else:
                    out.append("\n" if text[i] == "\n" else " ")
                    i += 1
            continue
        m = re.match(r'b?r(#*)"', text[i:])
        if m and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i : j + 1]))
            i = j + 1
            continue
        if c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def functions(path):
    text = open(path, encoding="utf-8").read()
    code = blank(text)
    lines = text.split("\n")
    code_lines = code.split("\n")
    starts = [0]
    for line in code_lines:
        starts.append(starts[-1] + len(line) + 1)

    def line_of(pos):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    for m in FN.finditer(code):
        # The body: the first `{` after the signature at nesting 0 of (), <>.
        j = m.end()
        paren = 0
        while j < len(code):
            ch = code[j]
            if ch in "([":
                paren += 1
            elif ch in ")]":
                paren -= 1
            elif ch == ";" and paren == 0:
                j = -1  # a declaration without a body
                break
            elif ch == "{" and paren == 0:
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        depth = 0
        k = j
        while k < len(code):
            if code[k] == "{":
                depth += 1
            elif code[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        first, last = line_of(m.start()), line_of(k)
        count = sum(
            1
            for ln in range(first, last + 1)
            if code_lines[ln].strip() and lines[ln].strip()
        )
        yield m.group(1), first + 1, count


def main():
    args = sys.argv[1:]
    top = None
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i : i + 2]
    limit = int(args[0]) if args else 150
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    found = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                rel = os.path.relpath(p, os.path.join(root, ".."))
                for name, line, count in functions(p):
                    found.append((count, f"{rel}:{line}", name))
    found.sort(key=lambda x: (-x[0], x[1]))
    shown = found[:top] if top else [x for x in found if x[0] > limit]
    for count, where, name in shown:
        print(f"{count:5}  {where}  {name}")
    if top is None and shown:
        print(f"{len(shown)} function(s) over {limit} lines", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
