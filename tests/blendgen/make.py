# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the test productions: ``python -m blendgen.make OUTDIR [KIND ...]``.

Runs from any working directory (puts tests/ on sys.path for the children). Each kind is built
in its own ``python -m blendgen.build`` child process, two at a time. Exit status is non-zero
when any kind failed; its stderr is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
KIND_TIMEOUT_S = 120


def all_kinds() -> list[str]:
    # The kinds table lives next to the bpy builders; read it without importing bpy.
    from blendgen.kinds.names import KIND_NAMES

    return list(KIND_NAMES)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def build_kind(outdir: Path, kind: str) -> tuple[str, int, str, float]:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "blendgen.build", str(outdir), kind],
            cwd=TESTS_DIR,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=KIND_TIMEOUT_S,
            check=False,
        )
        code, log = proc.returncode, proc.stdout[-2000:] + proc.stderr[-4000:]
    except subprocess.TimeoutExpired:
        code, log = -1, f"timed out after {KIND_TIMEOUT_S} s"
    return kind, code, log, time.monotonic() - start


def make(outdir: Path, kinds: list[str], jobs: int = 2) -> dict[str, tuple[int, str]]:
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple[int, str]] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for kind, code, log, secs in pool.map(lambda k: build_kind(outdir, k), kinds):
            results[kind] = (code, log)
            status = "ok" if code == 0 else f"FAILED ({code})"
            print(f"{kind:28s} {status} {secs:5.1f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    known = all_kinds()
    parser = argparse.ArgumentParser(prog="python -m blendgen.make", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("kinds", nargs="*", metavar="KIND", help=f"default: all of {', '.join(known)}")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    unknown = [k for k in args.kinds if k not in known]
    if unknown:
        parser.error(f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(known)}")
    results = make(args.outdir.resolve(), args.kinds or known, args.jobs)
    failed = {k: log for k, (code, log) in results.items() if code != 0}
    for kind, log in failed.items():
        print(f"\n--- {kind} failed ---\n{log}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
