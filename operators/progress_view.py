# SPDX-License-Identifier: GPL-3.0-or-later
"""What the status bar and the batch log show about a running job, built from ProgressEvents.

Pure Python, owned by the main thread: the worker's events arrive through a queue and are
applied here one by one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

try:
    from ..bat_core.progress import ProgressEvent, Stage
except ImportError:  # pragma: no cover - top-level import in the tests
    from bat_core.progress import ProgressEvent, Stage


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class ProgressView:
    """The latest state of one job; ``apply`` one event at a time."""

    clock: Callable[[], float] = time.monotonic
    stage: Stage | None = None
    message: str = ""
    current_file: str = ""
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    rate: float = 0.0
    errors: list[str] = field(default_factory=list)
    events_seen: int = 0
    _stage_started: float = 0.0

    def apply(self, event: ProgressEvent) -> None:
        now = self.clock()
        if event.stage != self.stage:
            self.stage = event.stage
            self._stage_started = now
        self.events_seen += 1
        self.message = event.message or self.message
        self.current_file = event.current_file
        self.files_done, self.files_total = event.files_done, event.files_total
        self.bytes_done, self.bytes_total = event.bytes_done, event.bytes_total
        if event.rate_bytes_per_s > 0:
            self.rate = event.rate_bytes_per_s
        else:
            # The core may not measure a rate; the average over the stage is a fair estimate.
            elapsed = now - self._stage_started
            self.rate = event.bytes_done / elapsed if elapsed > 0.2 and event.bytes_done else 0.0
        if event.error:
            self.errors.append(event.error)

    @property
    def factor(self) -> float:
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.files_total > 0:
            return min(1.0, self.files_done / self.files_total)
        return 0.0

    @property
    def eta_seconds(self) -> float | None:
        if self.rate <= 0 or self.bytes_total <= 0:
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) / self.rate)

    @property
    def stage_label(self) -> str:
        return self.stage.value.capitalize() if self.stage is not None else "Starting"

    def summary(self) -> str:
        """One line: files, bytes, rate and ETA, leaving out what is unknown."""
        parts: list[str] = []
        if self.files_total:
            parts.append(f"{self.files_done}/{self.files_total} files")
        elif self.files_done:
            parts.append(f"{self.files_done} files")
        if self.bytes_total:
            parts.append(f"{human_bytes(self.bytes_done)}/{human_bytes(self.bytes_total)}")
        elif self.bytes_done:
            parts.append(human_bytes(self.bytes_done))
        if self.rate > 0:
            parts.append(f"{human_bytes(self.rate)}/s")
        eta = self.eta_seconds
        if eta is not None:
            parts.append(f"ETA {human_duration(eta)}")
        return " · ".join(parts)

    def log_line(self) -> str:
        """The batch-mode progress line."""
        text = f"BAT: [{self.stage.value if self.stage else 'start'}]"
        summary = self.summary()
        if summary:
            text += " " + summary
        if self.message:
            text += f" - {self.message}"
        return text
