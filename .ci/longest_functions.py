"""Print the longest functions of a package (default: fgnn/), longest first.

    python .ci/longest_functions.py [PATH] [--top N] [--max LINES]

With ``--max`` it exits 1 when any function is longer than LINES (the project's aim is 80).
Lines are counted from the ``def`` line to the function's last line, docstring included.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def function_lengths(root: Path) -> list[tuple[int, str]]:
    rows = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                rows.append((node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
    return sorted(rows, reverse=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", default="fgnn")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--max", type=int, default=None, help="exit 1 if a function is longer than this")
    args = p.parse_args(argv)
    rows = function_lengths(Path(args.path))
    for length, where in rows[: args.top]:
        print(f"{length:5d}  {where}")
    if args.max is not None:
        over = [r for r in rows if r[0] > args.max]
        print(f"{len(over)} function(s) longer than {args.max} lines")
        return 1 if over else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
