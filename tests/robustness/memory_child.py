# SPDX-License-Identifier: GPL-3.0-or-later
"""Child process for the memory-bound fuzz test: read damaged files under a hard address-space limit.

Usage: python memory_child.py SAMPLES_DIR SCRATCH_DIR EXAMPLES HEADROOM_BYTES
Prints one JSON line with the outcome counts. Any allocation beyond the limit raises
MemoryError, which the harness reports as a finding (it must not hide inside a BatError).
"""

from __future__ import annotations

import json
import resource
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
for extra in (str(HERE.parent.parent), str(HERE.parent)):
    if extra not in sys.path:
        sys.path.insert(0, extra)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from robustness.harness import read_everything, run_case  # noqa: E402
from robustness.mutations import gzip_bytes, layout_of, seekable_zstd, stacked  # noqa: E402


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def main() -> None:
    samples, scratch, examples, headroom = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    layouts = [layout_of(samples / "main.blend"), layout_of(samples / "lib.blend")]
    limit = _vm_size() + headroom
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    counts: Counter[str] = Counter()
    wrappers = {"plain": lambda b: b, "zstd": seekable_zstd, "gzip": gzip_bytes}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        layout = data.draw(st.sampled_from(layouts))
        mutation = data.draw(stacked(layout))
        wrap = data.draw(st.sampled_from(sorted(wrappers)))
        path = scratch / "fuzzed.blend"
        path.write_bytes(wrappers[wrap](mutation.apply(layout.data)))
        counts[run_case("memory-limited", f"{wrap}: {mutation.label}", lambda: read_everything(path, scratch))] += 1

    case()
    print(json.dumps({"limit": limit, "counts": counts}))


if __name__ == "__main__":
    main()
