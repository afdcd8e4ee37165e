# SPDX-License-Identifier: GPL-3.0-or-later
"""The one transfer engine: send a list of local files to a target with worker threads.

Every target (directory, ZIP, S3, Shaman) is driven by this loop, so progress, cancel and
error handling behave the same everywhere. The calling thread owns the listener: it polls
the workers' shared counters and emits at most ``_EMIT_PER_S`` events per second plus a
final one, so listeners see monotonic numbers from a single thread and a 10,000-file pack
does not flood a status bar.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BatError, CancelledError, TransferError
from ..progress import CancelToken, LinkedCancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from .target import SendOutcome, Target, TransferItem, check_pack_path

_EMIT_PER_S = 10
_RATE_WINDOW_S = 3.0
# After a cancel or error, workers normally stop within one chunk. One blocked in a
# read that never returns (a hung network share) is abandoned after this long so the
# caller is never stuck; it is a daemon thread and dies with the process.
_STOP_GRACE_S = 3.0


@dataclass(frozen=True)
class TransferResult:
    target: str
    files_total: int
    bytes_total: int
    files_sent: int
    bytes_sent: int
    files_skipped: int
    """Files the target already had (up to date); they are counted in neither ``*_sent``."""
    bytes_skipped: int
    seconds: float

    @property
    def rate_bytes_per_s(self) -> float:
        return self.bytes_sent / self.seconds if self.seconds > 0 else 0.0


class _Progress:
    """Counters shared by the workers; snapshots are taken by the calling thread."""

    def __init__(self, items: Sequence[TransferItem]) -> None:
        self.lock = threading.Lock()
        self.files_total = len(items)
        self.bytes_total = sum(i.size for i in items)
        self.files_done = 0
        self.bytes_done = 0
        self.files_sent = 0
        self.bytes_sent = 0
        self.files_skipped = 0
        self.bytes_skipped = 0
        self.current_file = ""
        self.version = 0
        self._samples: deque[tuple[float, int]] = deque()

    def add_bytes(self, n: int) -> None:
        with self.lock:
            self.bytes_done += n
            self.version += 1

    def started(self, item: TransferItem) -> None:
        with self.lock:
            self.current_file = item.pack_path
            self.version += 1

    def finished(self, item: TransferItem, reported: int, outcome: SendOutcome) -> None:
        with self.lock:
            # Top up to the planned size so the bar ends exactly at the total even when a
            # target reports fewer bytes (a dedup hit, a file that shrank meanwhile).
            self.bytes_done += max(0, item.size - reported)
            self.files_done += 1
            if outcome is SendOutcome.SENT:
                self.files_sent += 1
                self.bytes_sent += item.size
            else:
                self.files_skipped += 1
                self.bytes_skipped += item.size
            self.version += 1

    def event(self, message: str = "", error: str = "") -> ProgressEvent:
        now = time.monotonic()
        with self.lock:
            files_done, bytes_done, current = self.files_done, self.bytes_done, self.current_file
        self._samples.append((now, bytes_done))
        while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW_S:
            self._samples.popleft()
        t0, b0 = self._samples[0]
        rate = (bytes_done - b0) / (now - t0) if now > t0 else 0.0
        return ProgressEvent(
            stage=Stage.TRANSFER,
            message=message,
            current_file=current,
            files_done=files_done,
            files_total=self.files_total,
            bytes_done=bytes_done,
            bytes_total=self.bytes_total,
            rate_bytes_per_s=rate,
            error=error,
        )


def run_transfer(
    items: Sequence[TransferItem],
    target: Target,
    *,
    workers: int = 4,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
) -> TransferResult:
    """Send ``items`` to ``target``; main .blend files last; commit, or abort and raise.

    Raises ``CancelledError`` when ``cancel`` is set (within about a second, even in the
    middle of a large file) and ``TransferError`` naming the file and target for the
    first failure; the target's ``abort()`` has run in both cases.
    """
    items = list(items)
    _check_items(items)
    token = LinkedCancelToken(cancel)
    started = time.monotonic()
    all_items = _Progress(items)
    progress = _Progress([])
    try:
        token.raise_if_cancelled()
        to_send = list(target.begin(items, token, listener))
        progress = _Progress(to_send)
        listener(progress.event(message=f"sending {len(to_send)} of {len(items)} files to {target.describe()}"))
        others = sorted((i for i in to_send if not i.is_main), key=lambda i: i.size, reverse=True)
        mains = [i for i in to_send if i.is_main]
        n_workers = max(1, min(workers, target.max_workers))
        for batch in (others, mains):
            _send_batch(batch, target, n_workers, token, progress, listener)
        token.raise_if_cancelled()
        target.commit()
    except BaseException as exc:
        token.cancel()
        _abort(target)
        error = _as_bat_error(exc, target, token)
        if isinstance(error, CancelledError):
            listener(progress.event(message=f"cancelled; {target.describe()} left incomplete"))
        else:
            listener(progress.event(error=str(error)))
        cause = exc.cause if isinstance(exc, _WorkerFailedError) else exc
        if error is cause:
            raise error from cause.__cause__
        raise error from cause
    seconds = time.monotonic() - started
    skipped_up_front = all_items.files_total - len(to_send)
    result = TransferResult(
        target=target.describe(),
        files_total=all_items.files_total,
        bytes_total=all_items.bytes_total,
        files_sent=progress.files_sent,
        bytes_sent=progress.bytes_sent,
        files_skipped=skipped_up_front + progress.files_skipped,
        bytes_skipped=all_items.bytes_total - progress.bytes_total + progress.bytes_skipped,
        seconds=seconds,
    )
    listener(
        progress.event(
            message=f"sent {result.files_sent} files ({result.bytes_sent} bytes) to {result.target}, "
            f"{result.files_skipped} already up to date, in {seconds:.1f} s"
        )
    )
    return result


def _check_items(items: Sequence[TransferItem]) -> None:
    seen: set[str] = set()
    for item in items:
        check_pack_path(item.pack_path)
        if item.size < 0:
            raise TransferError(f"{item.source}: negative size {item.size} for pack path {item.pack_path}")
        if item.pack_path in seen:
            raise TransferError(f"two files would both be packed as {item.pack_path!r} (one of them is {item.source})")
        seen.add(item.pack_path)


class _WorkerFailedError(Exception):
    """Carries a worker's exception and the item it was sending to the calling thread."""

    def __init__(self, item: TransferItem, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.item = item
        self.cause = cause


def _send_batch(
    batch: Sequence[TransferItem],
    target: Target,
    n_workers: int,
    token: LinkedCancelToken,
    progress: _Progress,
    listener: ProgressListener,
) -> None:
    if not batch:
        return
    queue = deque(batch)
    lock = threading.Lock()
    failures: list[_WorkerFailedError] = []
    running = min(n_workers, len(batch))
    all_done = threading.Event()
    remaining = [running]

    def send_one(item: TransferItem) -> None:
        reported = 0

        def on_bytes(n: int) -> None:
            nonlocal reported
            token.raise_if_cancelled()
            # Clamp: a target that retries a chunk must not push the bar past 100 %.
            n = max(0, min(n, item.size - reported))
            reported += n
            if n:
                progress.add_bytes(n)

        progress.started(item)
        outcome = target.send(item, on_bytes, token)
        progress.finished(item, reported, outcome)

    def worker() -> None:
        try:
            while not token.cancelled:
                with lock:
                    if not queue:
                        return
                    item = queue.popleft()
                try:
                    send_one(item)
                except BaseException as exc:
                    with lock:
                        failures.append(_WorkerFailedError(item, exc))
                    token.cancel()
                    return
        finally:
            with lock:
                remaining[0] -= 1
                if remaining[0] == 0:
                    all_done.set()

    threads = [threading.Thread(target=worker, name=f"bat-transfer-{n}", daemon=True) for n in range(running)]
    for thread in threads:
        thread.start()
    seen_version = -1
    stop_seen_at: float | None = None
    try:
        while not all_done.wait(1.0 / _EMIT_PER_S):
            if token.cancelled:
                now = time.monotonic()
                stop_seen_at = stop_seen_at or now
                if now - stop_seen_at > _STOP_GRACE_S:
                    break
                continue
            if progress.version != seen_version:
                seen_version = progress.version
                listener(progress.event())
    except BaseException:
        # KeyboardInterrupt or a failing listener: stop the workers before unwinding.
        token.cancel()
        all_done.wait(_STOP_GRACE_S)
        raise
    with lock:
        real = [f for f in failures if not isinstance(f.cause, CancelledError)]
        chosen = real or failures
    if chosen:
        raise chosen[0]
    token.raise_if_cancelled()
    listener(progress.event())


def _abort(target: Target) -> None:
    # abort() must not mask the error that made us call it.
    with contextlib.suppress(Exception):
        target.abort()


def _as_bat_error(exc: BaseException, target: Target, token: LinkedCancelToken) -> BaseException:
    """The exception to raise for ``exc``: cancellations stay, failures name file and target."""
    item: TransferItem | None = None
    if isinstance(exc, _WorkerFailedError):
        item, exc = exc.item, exc.cause
    if isinstance(exc, CancelledError) or (token.cancelled_by_caller and not isinstance(exc, BatError)):
        if isinstance(exc, CancelledError):
            return exc
        return CancelledError(f"cancelled while sending to {target.describe()}")
    if not isinstance(exc, Exception):
        return exc  # KeyboardInterrupt, SystemExit: not ours to translate
    reason = _reason(exc)
    if item is None:
        if isinstance(exc, BatError):
            return exc
        return TransferError(f"{target.describe()}: {reason}")
    return TransferError(f"could not send {item.source} as {item.pack_path!r} to {target.describe()}: {reason}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__
