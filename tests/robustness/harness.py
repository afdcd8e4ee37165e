# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one fuzz case: read everything a reader or tracer can read, under a watchdog and a memory check.

A case passes when it ends in a result or a BatError, within ``CASE_SECONDS`` and without the
process's peak resident memory growing by more than ``CASE_MEMORY`` bytes. Everything else
(another exception type, a hang, a huge allocation) is a finding.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bat_core.blendfile import BlendFile, open_blend, write_rewritten_copy
from bat_core.errors import BatError
from bat_core.trace import TraceOptions, TraceResult, trace

CASE_SECONDS = float(os.environ.get("BAT_FUZZ_CASE_SECONDS", "20"))
CASE_MEMORY = 256 << 20
# Pointer-chasing over a damaged file must stay proportional to the file: bound the views per block.
VIEWS_PER_BLOCK = 4


def fuzz_examples(default: int) -> int:
    """Examples per fuzz test: the CI default, or BAT_FUZZ_EXAMPLES for long local runs."""
    return int(os.environ.get("BAT_FUZZ_EXAMPLES", default))


def fuzz_is_long() -> bool:
    return "BAT_FUZZ_EXAMPLES" in os.environ


class CaseTimeout(BaseException):
    """Raised by the watchdog; a BaseException so no `except Exception` in the code under test eats it."""


@dataclass
class Tally:
    """Outcomes of every case run in this session, printed by the conftest's terminal summary."""

    outcomes: Counter[str]
    seconds: float = 0.0

    def add(self, group: str, outcome: str, seconds: float) -> None:
        self.outcomes[f"{group}: {outcome}"] += 1
        self.outcomes[f"{group}: total"] += 1
        self.seconds += seconds


TALLY = Tally(Counter())


def _peak_rss() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Interrupt the block with CaseTimeout after `seconds` (main thread, POSIX timers)."""

    if not hasattr(signal, "setitimer"):  # Windows: no interval timers; run unguarded
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CaseTimeout(f"case took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(group: str, label: str, action: Callable[[], object]) -> str:
    """Run `action`; return "ok" or the BatError class name; fail on anything else.

    The assertion message carries the mutation label so a failure can be turned into a
    regression test directly.
    """
    before = _peak_rss()
    started = time.monotonic()
    try:
        with watchdog(CASE_SECONDS):
            action()
        outcome = "ok"
    except BatError as exc:
        _no_memory_error_inside(exc, label)
        outcome = type(exc).__name__
    except CaseTimeout:
        raise AssertionError(f"{group}: no answer within {CASE_SECONDS} s for: {label}") from None
    except Exception as exc:
        raise AssertionError(f"{group}: {type(exc).__name__} escaped for: {label}: {exc}") from exc
    grown = _peak_rss() - before
    assert grown <= CASE_MEMORY, f"{group}: peak memory grew by {grown >> 20} MiB for: {label}"
    TALLY.add(group, outcome, time.monotonic() - started)
    return outcome


def _no_memory_error_inside(exc: BaseException, label: str) -> None:
    """A BatError wrapping MemoryError means the reader tried to allocate wildly: still a finding."""
    cause: BaseException | None = exc
    while cause is not None:
        assert not isinstance(cause, MemoryError), f"allocation failure behind {type(exc).__name__} for: {label}"
        cause = cause.__cause__


# -- what a case does ---------------------------------------------------------------------------


def read_everything(path: Path, scratch: Path) -> int:
    """Open the file and touch what any part of the tool may touch; returns fields read.

    Every block's struct, every field of the first few structs (nested structs, arrays,
    pointers followed to their blocks), every ListBase walked, and a rewritten copy written.
    """
    fields_read = 0
    with open_blend(path) as bf:
        for block in bf.blocks:
            if block.sdna_index == 0:
                continue
            for n, view in enumerate(bf.views(block)):
                if n >= VIEWS_PER_BLOCK:
                    break
                fields_read += _read_view(bf, view)
        write_rewritten_copy(bf, scratch / "rewritten.blend", [])
    return fields_read


def _read_view(bf: BlendFile, view: object) -> int:
    from bat_core.blendfile import StructView

    assert isinstance(view, StructView)
    n = 0
    for f in view.struct.fields:
        try:
            value = view.get(f.name)
            n += 1
            if f.is_pointer and not f.dims and isinstance(value, int) and value:
                view.deref(f.name)
            if f.type_name == "ListBase" and not f.is_pointer and not f.dims:
                for _ in view.iter_listbase(f.name):
                    n += 1
        except BatError:
            continue  # one bad field must not hide what the rest of the struct does
    return n


def trace_everything(path: Path) -> TraceResult:
    """A trace that reads every datablock of every library, then the default trace."""
    trace(path, TraceOptions(all_library_data=True))
    return trace(path)
