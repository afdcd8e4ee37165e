# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one BAT job: in a worker thread for the interface, or synchronously in batch mode.

The work is a plain function ``work(listener, cancel) -> JobSummary`` that receives only plain
Python values (never bpy objects), so it is safe in a thread. Events travel through a queue
and are applied on the main thread by ``Job.pump()``, called from the modal operator's timer.
Only one job runs at a time; ``current()`` is what the status bar draws.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .progress_view import ProgressView
from .settings import Secrets
from .summary import JobSummary

try:
    from ..bat_core.errors import BatError, CancelledError
    from ..bat_core.progress import CancelToken, ProgressEvent, ProgressListener
except ImportError:  # pragma: no cover - top-level import in the tests
    from bat_core.errors import BatError, CancelledError
    from bat_core.progress import CancelToken, ProgressEvent, ProgressListener

Work = Callable[[ProgressListener, CancelToken], JobSummary]


JOB_NICENESS = 10  # added to the job thread's niceness while it runs beside the interface
MAX_NICENESS = 19  # the lowest priority Linux has


def _yield_cpu_to_the_interface() -> None:
    """Lower this thread's CPU priority (Linux schedules threads one by one, and threads it
    starts, such as the transfer and hashing workers, inherit it). With few cores, Blender's
    drawing then gets the CPU first and the job takes what is left."""
    if not sys.platform.startswith("linux"):
        return
    # Where it is not allowed, the job just runs at normal priority.
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(MAX_NICENESS, current + JOB_NICENESS))


@dataclass(frozen=True)
class Outcome:
    """How a job ended: exactly one of summary (success), cancelled, or error is meaningful."""

    summary: JobSummary | None
    cancelled: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.summary is not None and not self.cancelled and not self.error


def run_work(work: Work, listener: ProgressListener, cancel: CancelToken, secrets: Secrets) -> Outcome:
    """Call ``work`` and turn every way it can end into an Outcome; never raises."""
    try:
        summary = work(listener, cancel)
    except CancelledError:
        return Outcome(None, cancelled=True)
    except BatError as ex:
        return Outcome(None, error=secrets.redact(str(ex)) or type(ex).__name__)
    except Exception as ex:  # a bug, not a user error: keep the details in the console
        details = secrets.redact("".join(traceback.format_exception(ex)))
        print(f"BAT: internal error\n{details}", flush=True)
        return Outcome(None, error=secrets.redact(f"Internal error in BAT ({type(ex).__name__}: {ex})"))
    if cancel.cancelled:
        # The work finished anyway; the user asked to stop, so say so, but keep what was done.
        return Outcome(summary, cancelled=True)
    return Outcome(summary)


class Job:
    """One piece of work plus everything the interface needs to follow and stop it."""

    def __init__(self, title: str, work: Work, secrets: Secrets | None = None) -> None:
        self.title = title
        self.cancel_token = CancelToken()
        self.view = ProgressView()
        self._work = work
        self._secrets = secrets or Secrets(())
        self._events: queue.SimpleQueue[ProgressEvent] = queue.SimpleQueue()
        self._outcome: Outcome | None = None
        self._thread: threading.Thread | None = None

    # --- worker side (any thread) ---
    def _listen(self, event: ProgressEvent) -> None:
        self._events.put(event)

    def _run(self) -> None:
        _yield_cpu_to_the_interface()
        self._outcome = run_work(self._work, self._listen, self.cancel_token, self._secrets)

    # --- main thread ---
    def start(self) -> None:
        # daemon: quitting Blender must not wait for an upload; the core cleans up on cancel.
        self._thread = threading.Thread(target=self._run, name=f"BAT {self.title}", daemon=True)
        self._thread.start()

    def run_sync(self, out: TextIO | None = None) -> Outcome:
        """Batch mode: run on this thread, printing a progress line per stage and per second."""
        last_print = [0.0, ""]

        def listen(event: ProgressEvent) -> None:
            self.view.apply(event)
            now = self.view.clock()
            stage = event.stage.value
            if event.error or stage != last_print[1] or now - float(last_print[0]) >= 1.0:
                line = self.view.log_line() + (f" ERROR: {event.error}" if event.error else "")
                print(self._secrets.redact(line), file=out, flush=True)
                last_print[0], last_print[1] = now, stage

        self._outcome = run_work(self._work, listen, self.cancel_token, self._secrets)
        return self._outcome

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def pump(self, limit: int = 10_000) -> int:
        """Apply queued events to the view; returns how many. Bounded so one tick stays short."""
        count = 0
        while count < limit:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            self.view.apply(event)
            count += 1
        return count

    @property
    def finished(self) -> bool:
        """True once the worker has ended (its outcome is set before the thread exits)."""
        return self._outcome is not None and (self._thread is None or not self._thread.is_alive())

    @property
    def outcome(self) -> Outcome | None:
        return self._outcome

    def join(self, timeout: float) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True


class _Slot:
    """The one running job of this Blender session (main thread only)."""

    job: Job | None = None


def current() -> Job | None:
    """The job a modal operator follows, finished or not (its outcome is still to collect)."""
    return _Slot.job


def running() -> Job | None:
    """The job to show in the interface: None once it has ended, even if nobody collected it
    (loading another file ends modal operators without telling them)."""
    job = _Slot.job
    return job if job is not None and not job.finished else None


def begin(job: Job) -> Job:
    """Make ``job`` the running one; refuses while another job runs."""
    running = _Slot.job
    if running is not None and not running.finished:
        raise BatError(f"A BAT job is already running ({running.title}); wait for it or cancel it")
    _Slot.job = job
    return job


def end(job: Job) -> None:
    if _Slot.job is job:
        _Slot.job = None


def shutdown(timeout: float = 5.0) -> None:
    """Cancel and forget the running job (add-on unregister): nothing keeps running."""
    job, _Slot.job = _Slot.job, None
    if job is not None:
        job.cancel()
        job.join(timeout)
