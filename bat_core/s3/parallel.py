# SPDX-License-Identifier: GPL-3.0-or-later
"""Run per-file work (hashing, HEAD requests) on a few threads, reporting progress.

Used by ``begin``, which runs in the caller's thread: the engine's own progress starts
only after it, so long preparations report under their own stage here, throttled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage

J = TypeVar("J")
R = TypeVar("R")
_EMIT_S = 0.1


def run_parallel(
    jobs: Sequence[J],
    work: Callable[[J, Callable[[int], None]], R],
    *,
    workers: int,
    cancel: CancelToken,
    listener: ProgressListener,
    stage: Stage,
    bytes_total: int,
    done_message: str,
) -> list[R]:
    """``[work(job, add_bytes) for job in jobs]`` on ``workers`` threads, results in order.

    The first failure cancels the rest (they check ``cancel`` through their own work)
    and is raised; so is a cancel.
    """
    if not jobs:
        return []
    lock = threading.Lock()
    done_bytes = [0]

    def add_bytes(n: int) -> None:
        with lock:
            done_bytes[0] += n

    pool = ThreadPoolExecutor(max(1, min(workers, len(jobs))), thread_name_prefix="bat-s3-prepare")
    futures: list[Future[R]] = [pool.submit(work, job, add_bytes) for job in jobs]
    try:
        pending: set[Future[R]] = set(futures)
        last_emit = 0.0
        while pending:
            finished, pending = wait(pending, timeout=_EMIT_S, return_when=FIRST_EXCEPTION)
            for future in finished:
                error = future.exception()
                if error is not None:
                    raise error
            cancel.raise_if_cancelled()
            now = time.monotonic()
            if pending and now - last_emit >= _EMIT_S:
                last_emit = now
                listener(_event(stage, len(futures) - len(pending), len(futures), done_bytes[0], bytes_total))
        listener(_event(stage, len(futures), len(futures), bytes_total, bytes_total, done_message))
        return [f.result() for f in futures]
    finally:
        # Work already running stops on its own: the engine cancels the run's token when
        # begin() raises, and every job checks it between chunks.
        pool.shutdown(wait=False, cancel_futures=True)


def _event(stage: Stage, files_done: int, files_total: int, done: int, total: int, message: str = "") -> ProgressEvent:
    return ProgressEvent(
        stage=stage,
        message=message,
        files_done=files_done,
        files_total=files_total,
        bytes_done=min(done, total),
        bytes_total=total,
    )
