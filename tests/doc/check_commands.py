#!/usr/bin/env python3
"""Runs the commands a document shows and compares their output with what
it shows, so the document stays true (a doc test).

usage: check_commands.py DOC.md --bin DIR [--root DIR] [--update]

In DOC.md, every fenced block opened with ```console is checked: a line
starting with "$ " is a command (run by bash in --root, with DIR first on
PATH, so "nncc ..." runs the build's nncc), and the lines after it, up to
the next command or the end of the block, are its expected output (stdout
and stderr together). In an expected line, "<...>" matches any text (a
time, a path); a line that is just "..." matches any number of lines; numbers
match to 0.1 % (see close()).
Exits 1 listing each command whose output differs. --update writes each
command's output into the document instead (keeping the expected lines
with "<...>" that still match), for a maintainer to review with git diff."""
import argparse
import os
import re
import subprocess
import sys


def blocks(text):
    """(line number, [lines]) of each ```console block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start + 1, body
        i += 1


def commands(block):
    """(offset, command, expected lines) of each command in a block."""
    out = []
    for k, line in enumerate(block):
        if line.startswith("$ "):
            out.append((k, line[2:], []))
        elif out:
            out[-1][2].append(line)
    return out


NUMBER = r"-?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)"


def close(expected, actual):
    """Printed numbers equal to 0.1 % (or 1e-4): what compiled code computes
    may round differently on another CPU (other vector widths, other oneDNN
    kernels), which shows in the last digits of a loss after many steps."""
    if expected == actual:
        return True
    try:
        e, a = float(expected), float(actual)
    except ValueError:
        return False
    return abs(e - a) <= 1e-3 * max(abs(e), abs(a)) + 1e-4


def line_matches(expected, actual):
    pattern, numbers = "", []
    for part in re.split(r"(<\.\.\.>)", expected):
        if part == "<...>":
            pattern += ".*?"
            continue
        for k, piece in enumerate(re.split(f"({NUMBER})", part)):
            if k % 2:
                pattern += f"({NUMBER})"
                numbers.append(piece)
            else:
                pattern += re.escape(piece)
    m = re.fullmatch(pattern, actual)
    return m is not None and all(close(e, a) for e, a in zip(numbers, m.groups()))


def output_matches(expected, actual):
    """Expected lines against actual ones; a "..." line skips any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(output_matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and output_matches(expected[1:], actual[1:])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("doc")
    p.add_argument("--bin", required=True, help="directory of the nncc to run")
    p.add_argument("--root", default=os.getcwd(), help="where commands run (the source tree)")
    p.add_argument("--update", action="store_true", help="write the commands' outputs into the document")
    a = p.parse_args()
    doc_lines = open(a.doc, encoding="utf-8").read().split("\n")
    replacements = []  # (first line index, old length, new lines), for --update
    env = dict(os.environ, PATH=os.path.abspath(a.bin) + os.pathsep + os.environ.get("PATH", ""), OMP_NUM_THREADS="1")
    failures, count = [], 0
    for line_no, block in blocks(open(a.doc, encoding="utf-8").read()):
        for offset, command, expected in commands(block):
            count += 1
            run = subprocess.run(["bash", "-c", command], cwd=a.root, env=env, capture_output=True, text=True)
            actual = (run.stdout + run.stderr).rstrip("\n").split("\n")
            actual = [l.rstrip() for l in actual] if actual != [""] else []
            while expected and not expected[-1].strip():
                expected = expected[:-1]
            if not output_matches([l.rstrip() for l in expected], actual):
                kept = [e if k < len(expected) and line_matches(e.rstrip(), l) else l
                        for k, (e, l) in enumerate(zip(expected + [""] * len(actual), actual))]
                replacements.append((line_no + offset, len(expected), kept))
                failures.append(f"{a.doc}:{line_no + offset}: $ {command}\n--- the document shows:\n" + "\n".join(expected) +
                                "\n--- the command printed:\n" + "\n".join(actual))
    if a.update:
        for first, length, new in sorted(replacements, reverse=True):
            doc_lines[first:first + length] = new
        open(a.doc, "w", encoding="utf-8").write("\n".join(doc_lines))
        print(f"updated {len(replacements)} outputs in {a.doc}")
        return 0
    for f in failures:
        print(f, end="\n\n")
    print(f"{count} commands, {len(failures)} differ from {a.doc}")
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
