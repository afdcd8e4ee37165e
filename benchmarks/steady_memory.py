# SPDX-License-Identifier: GPL-3.0-or-later
"""Hold a virtual machine's free page reporting for the length of a benchmark.

On a VM whose balloon device reports free pages (virtio-balloon with free page reporting, as
on the Firecracker machines these benchmarks were written on), memory a program frees, a copy
evicted from the page cache included, is handed back to the host a couple of seconds later, and
the next program to use it pays a host page fault for every page. Measured there with ``cp -r``
of the 2.2 GB pack production: 0.64-1.97 s when run straight after the previous copy and
3.4 s after a 4 s pause; with reporting held, 1.30-1.34 s whatever the pause. Which of two
tools ran into freshly reported memory decided the comparison, not the tools.

Raising the kernel's ``page_reporting_order`` above the largest free block stops reporting
without unloading anything; it is put back when the benchmark ends. Needs root; without it,
or on a machine without the knob, nothing changes and the caller says so.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KNOB = Path("/sys/module/page_reporting/parameters/page_reporting_order")
# Above MAX_PAGE_ORDER (10 on x86-64): no free block is ever that large, so none is reported.
HELD_ORDER = "11"


def add_page_reporting_option(parser: argparse.ArgumentParser) -> None:
    """``--keep-page-reporting``: the benchmark's way out of held_page_reporting()."""
    parser.add_argument(
        "--keep-page-reporting",
        action="store_true",
        help="leave a VM's free page reporting on (see steady_memory.py: it swings both tools' times 2-5x)",
    )


@contextmanager
def held_page_reporting(enabled: bool = True) -> Iterator[str]:
    """Yield a line saying what was done, for the benchmark's output."""
    if not enabled:
        yield "free page reporting: left as it is (--keep-page-reporting)"
        return
    try:
        before = KNOB.read_text().strip()
    except OSError:
        yield "free page reporting: not present on this machine"
        return
    if before == HELD_ORDER:
        yield f"free page reporting: already held (page_reporting_order {before})"
        return
    try:
        KNOB.write_text(HELD_ORDER)
    except OSError as exc:
        yield f"free page reporting: ON and could not be held ({exc.strerror}); timings may swing 2-5x"
        return
    try:
        yield f"free page reporting: held for this run (page_reporting_order {before} -> {HELD_ORDER}, restored after)"
    finally:
        KNOB.write_text(before)
