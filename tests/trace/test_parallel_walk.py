# SPDX-License-Identifier: GPL-3.0-or-later
"""Libraries walked side by side in worker processes give exactly the answer of walking them in
order, for every production, and a worker that fails only costs time, never an answer.

The traces run in a fresh interpreter (the tracer forks only in a process with no other thread,
which the test runner is not), driven by a small script given on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from blendgen.production import Production

REPO = Path(__file__).resolve().parents[2]

# Traces each file given with jobs=1 and jobs=2 and prints, per file, whether the two answers
# are equal and how many library batches went to worker processes. With "fail", every worker
# raises instead of walking (the tracer must then walk those libraries itself).
SCRIPT = r"""
import json, os, sys
from pathlib import Path
from bat_core.trace import TraceOptions, trace
from bat_core.trace import parallel, tracer

batches = []
original = parallel.walk_libraries
def counting(jobs, workers):
    batches.append(len(jobs))
    return original(jobs, workers)
tracer.parallel.walk_libraries = counting
if sys.argv[1] == "fail":
    parent = os.getpid()
    walk_one = tracer._Tracer.walk_one
    def failing(self, path, names):
        if os.getpid() != parent:
            raise RuntimeError("worker failure for the test")
        return walk_one(self, path, names)
    tracer._Tracer.walk_one = failing

def answer(result):
    return {
        "blends": [str(b) for b in result.blends],
        "references": sorted(repr(r) for r in result.references),
        "missing": sorted(str(m) for m in result.missing()),
        "missing_datablocks": sorted(repr(m) for m in result.missing_datablocks),
        "problems": sorted(result.problems),
    }

out = {}
for name in sys.argv[2:]:
    one = answer(trace(Path(name), TraceOptions(jobs=1)))
    del batches[:]
    messages = []
    two = answer(trace(Path(name), TraceOptions(jobs=2), lambda event: messages.append(event.message)))
    retried = [m for m in messages if "here:" in m]
    out[name] = {"equal": one == two, "batches": list(batches), "one": one, "two": two, "retried": retried}
print(json.dumps(out))
"""


def _run(mode: str, files: list[Path]) -> dict[str, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, dict[str, object]] = json.loads(proc.stdout)
    return result


def test_side_by_side_walks_match_walks_in_order_for_every_production(productions: dict[str, Production]) -> None:
    mains = [p.main for p in productions.values()]
    results = _run("ok", mains)
    unequal = {name: (r["one"], r["two"]) for name, r in results.items() if not r["equal"]}
    assert not unequal, json.dumps(unequal, indent=1)[:4000]
    # Not vacuous: the production linking two libraries from the main file walked them in workers.
    two_libraries = str(productions["libraries"].main)
    assert results[two_libraries]["batches"] == [2], results[two_libraries]["batches"]


def test_a_failing_worker_only_makes_the_tracer_walk_that_library_itself(
    productions: dict[str, Production],
) -> None:
    mains = [productions[k].main for k in ("libraries", "library_chain")]
    results = _run("fail", mains)
    for name, r in results.items():
        assert r["equal"], (name, r["one"], r["two"])
    two_libraries = results[str(productions["libraries"].main)]
    assert two_libraries["batches"] == [2]
    # Each library a worker failed on is announced with the worker's error, then read here.
    retried = two_libraries["retried"]
    assert isinstance(retried, list) and len(retried) == 2, retried
    assert all("worker failure for the test" in m for m in retried), retried
