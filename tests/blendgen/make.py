# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the test productions: ``python -m blendgen.make OUTDIR [KIND ...]``.

Runs from any working directory (puts tests/ on sys.path for the children). The kinds are split
over ``--jobs`` child processes (``python -m blendgen.build``); kinds that a crashing child left
without a result are retried, each in a process of its own, so the report names the culprit.
Exit status is non-zero when any kind failed; the failing output is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 600


def all_kinds() -> list[str]:
    # The kinds table lives next to the bpy builders; read it without importing bpy.
    from blendgen.kinds.names import KIND_NAMES

    return list(KIND_NAMES)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS_DIR), env.get("PYTHONPATH", "")) if p)
    return env


def _run_child(outdir: Path, kinds: list[str]) -> tuple[dict[str, str], str]:
    """Build ``kinds`` in one child; returns kind -> 'ok'/'FAILED ...' for kinds it reported."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "blendgen.build", str(outdir), *kinds],
            cwd=TESTS_DIR,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {}, f"child building {kinds} timed out after {CHILD_TIMEOUT_S} s"
    results: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "RESULT":
            results[parts[1]] = f"{parts[2]} {parts[3]} s"
    log = f"exit status {proc.returncode}\n{proc.stderr[-6000:]}"
    return results, log


def make(outdir: Path, kinds: list[str], jobs: int = 2) -> dict[str, tuple[str, str]]:
    """Build ``kinds`` into ``outdir``; returns kind -> (status, log of its child)."""
    outdir.mkdir(parents=True, exist_ok=True)
    for kind in kinds:  # no stale result may pass for a fresh one
        shutil.rmtree(outdir / kind, ignore_errors=True)
    jobs = max(1, min(jobs, len(kinds)))
    chunks = [kinds[i::jobs] for i in range(jobs)]
    outcome: dict[str, tuple[str, str]] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for chunk, (results, log) in zip(chunks, pool.map(lambda c: _run_child(outdir, c), chunks), strict=True):
            for kind in chunk:
                if kind in results:
                    outcome[kind] = (results[kind], log)
        leftovers = [k for k in kinds if k not in outcome]
        for kind, (results, log) in zip(leftovers, pool.map(lambda k: _run_child(outdir, [k]), leftovers), strict=True):
            outcome[kind] = (results.get(kind, "CRASHED"), log)
    for kind in kinds:
        print(f"{kind:28s} {outcome[kind][0]}", flush=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    known = all_kinds()
    parser = argparse.ArgumentParser(prog="python -m blendgen.make", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("kinds", nargs="*", metavar="KIND", help=f"default: all of {', '.join(known)}")
    parser.add_argument("--jobs", type=int, default=2, help="child processes (default 2)")
    args = parser.parse_args(argv)
    unknown = [k for k in args.kinds if k not in known]
    if unknown:
        parser.error(f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(known)}")
    outcome = make(args.outdir.resolve(), list(dict.fromkeys(args.kinds)) or known, args.jobs)
    failed = {k: log for k, (status, log) in outcome.items() if not status.startswith("ok")}
    for kind, log in failed.items():
        print(f"\n--- {kind} failed ---\n{log}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
