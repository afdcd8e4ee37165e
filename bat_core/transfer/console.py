# SPDX-License-Identifier: GPL-3.0-or-later
"""A progress listener for the command line.

On a terminal it keeps one line updated in place (stage, bar, files, bytes, rate, ETA,
current file). When output goes to a file or a CI log, rewriting a line makes no sense,
so it prints plain lines instead: every message and error, and a progress line at most
every couple of seconds, so a 10,000-file pack gives a readable log, not 10,000 lines.
Calls may come from any thread.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

from ..progress import ProgressEvent, Stage

_BAR_WIDTH = 24


class ConsoleProgress:
    """Call with each ProgressEvent; call ``close()`` when done to end the bar line."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        is_terminal: bool | None = None,
        redraw_interval_s: float = 0.1,
        line_interval_s: float = 2.0,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if is_terminal is None:
            isatty = getattr(self._stream, "isatty", None)
            is_terminal = bool(isatty and isatty())
        self._terminal = is_terminal
        self._redraw_interval = redraw_interval_s
        self._line_interval = line_interval_s
        self._lock = threading.Lock()
        self._bar_shown = False
        self._bar_len = 0
        self._last_draw = float("-inf")
        self._stage: Stage | None = None

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.stage is not self._stage:
                self._end_bar()
                self._stage = event.stage
                self._last_draw = float("-inf")
            if event.error:
                self._end_bar()
                self._write_line(f"error: {event.error}")
            elif event.message:
                if self._bar_shown:
                    self._draw(event)
                self._end_bar()
                self._write_line(f"{event.stage.value}: {event.message}")
            else:
                now = time.monotonic()
                complete = event.files_total > 0 and event.files_done >= event.files_total
                interval = self._redraw_interval if self._terminal else self._line_interval
                if complete or now - self._last_draw >= interval:
                    self._last_draw = now
                    self._draw(event)
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            self._end_bar()
            self._stream.flush()

    def _draw(self, event: ProgressEvent) -> None:
        if not self._terminal:
            self._write_line(format_status(event, with_bar=False))
            return
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        line = format_status(event, with_bar=True)
        if len(line) > width:
            line = line[: width - 1] + "…"
        pad = max(0, self._bar_len - len(line))
        self._stream.write("\r" + line + " " * pad)
        self._bar_len = len(line)
        self._bar_shown = True

    def _end_bar(self) -> None:
        if self._bar_shown:
            self._stream.write("\n")
            self._bar_shown = False
            self._bar_len = 0

    def _write_line(self, text: str) -> None:
        self._stream.write(text + "\n")


def format_status(event: ProgressEvent, *, with_bar: bool) -> str:
    """One status line: ``transfer [####----] 45% 12/30 files 1.2/2.0 GiB 300 MiB/s ETA 0:03 x.png``."""
    parts = [event.stage.value]
    if event.bytes_total:
        fraction = min(1.0, event.bytes_done / event.bytes_total)
    elif event.files_total:
        fraction = min(1.0, event.files_done / event.files_total)
    else:
        fraction = 0.0
    if with_bar:
        filled = round(fraction * _BAR_WIDTH)
        parts.append("[" + "#" * filled + "-" * (_BAR_WIDTH - filled) + "]")
    parts.append(f"{fraction * 100:3.0f}%")
    if event.files_total:
        parts.append(f"{event.files_done}/{event.files_total} files")
    if event.bytes_total:
        parts.append(f"{format_bytes(event.bytes_done)}/{format_bytes(event.bytes_total)}")
    if event.rate_bytes_per_s > 0:
        parts.append(f"{format_bytes(event.rate_bytes_per_s)}/s")
        left = event.bytes_total - event.bytes_done
        if left > 0:
            parts.append("ETA " + format_duration(left / event.rate_bytes_per_s))
    if event.current_file:
        parts.append(event.current_file)
    return "  ".join(parts)


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def format_duration(seconds: float) -> str:
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
