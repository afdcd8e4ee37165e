# SPDX-License-Identifier: GPL-3.0-or-later
"""Walk several libraries at once in worker processes (the command line, on Linux).

A library walk is pure Python and holds the interpreter lock, so threads would take turns;
processes forked from the tracer run them side by side. Each worker opens its library, walks
the datablocks asked for (and any library packed inside it, whose bytes cannot travel between
processes) and sends back plain values: the references found, the datablocks missing, and
which other libraries are needed with which datablocks.

Forking is only safe in a process that runs no other thread, and Blender is not such a
process: ``can_fork`` says when it is allowed; everywhere else the tracer walks in order.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .model import MissingDatablock, Reference


@dataclass(frozen=True)
class LibraryJob:
    path: Path
    names: frozenset[bytes] | None  # None: every datablock
    all_library_data: bool


@dataclass(frozen=True)
class LibraryResult:
    path: Path
    references: tuple[Reference, ...]
    missing_blocks: tuple[MissingDatablock, ...]
    failed: tuple[tuple[Path, str], ...]  # files that could not be read, and why
    blends: tuple[Path, ...]  # files read (packed libraries unpacked to temporary files excluded)
    needs: tuple[tuple[Path, frozenset[bytes] | None], ...]  # libraries on disk to walk next
    error: str = ""  # set when the worker itself failed: the tracer walks the library itself


def can_fork(jobs: int) -> bool:
    return (
        jobs > 1
        and sys.platform.startswith("linux")
        and threading.active_count() == 1
        and "bpy" not in sys.modules  # inside Blender: never fork the application
    )


def default_jobs() -> int:
    """Worker processes for the command line: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def walk_libraries(jobs: Sequence[LibraryJob], workers: int) -> list[LibraryResult]:
    """Walk the libraries in up to ``workers`` forked processes; results in the order of ``jobs``.

    Plain fork and a pipe per worker: the multiprocessing pool took longer to import and start
    than walking a library does. Libraries are dealt out biggest first to the least loaded
    worker, so the workers finish close together.
    """
    import pickle

    sizes = [max(1, _size(job.path)) for job in jobs]
    groups: list[list[int]] = [[] for _ in range(max(1, min(workers, len(jobs))))]
    loads = [0] * len(groups)
    for index in sorted(range(len(jobs)), key=lambda i: -sizes[i]):
        lightest = loads.index(min(loads))
        groups[lightest].append(index)
        loads[lightest] += sizes[index]
    children: list[tuple[int, int, list[int]]] = []
    for group in groups:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            status = 1
            try:
                os.close(read_end)
                data = pickle.dumps([walk_library(jobs[i]) for i in group], protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        children.append((pid, read_end, group))
    results: dict[int, LibraryResult] = {}
    for pid, read_end, group in children:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        walked: list[LibraryResult] = []
        why = f"worker process ended with status {os.waitstatus_to_exitcode(status)}"
        if status == 0 and data:
            try:
                walked = pickle.loads(data)
            except Exception as exc:  # the libraries are then walked in this process instead
                why = f"unreadable result from a worker process: {exc}"
        for position, index in enumerate(group):
            if position < len(walked):
                results[index] = walked[position]
            else:
                results[index] = LibraryResult(jobs[index].path, (), (), (), (), (), error=why)
    return [results[i] for i in range(len(jobs))]


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def walk_library(job: LibraryJob) -> LibraryResult:
    """In a worker: one library, plus the libraries packed inside it."""
    from .tracer import TraceOptions, _Tracer  # the worker is a fork of the tracer: already imported

    tracer = _Tracer(TraceOptions(all_library_data=job.all_library_data), jobs=1)
    try:
        needs = tracer.walk_one(job.path, None if job.names is None else set(job.names))
        return LibraryResult(
            job.path,
            tuple(tracer.references),
            tuple(tracer.missing_blocks),
            tuple(tracer.failed.items()),
            tuple(tracer.blends()),
            tuple((p, None if n is None else frozenset(n)) for p, n in needs),
        )
    except Exception as exc:  # reported to the tracer, which then walks this library itself
        return LibraryResult(job.path, (), (), (), (), (), error=f"{type(exc).__name__}: {exc}")
    finally:
        tracer.close()
