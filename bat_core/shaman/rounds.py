# SPDX-License-Identifier: GPL-3.0-or-later
"""Round bookkeeping of a Shaman upload: when to ask the server again for what it lacks.

A *round* lasts from one requirements answer to the next. Upload workers report
deferrals (someone else is sending a file) and failures (5xx, dropped connections, a
changed file) here. A fresh requirements list is asked for (the round ends) when

* more than ``deferral_limit`` files were deferred in this round: many files are being
  sent by others, and the server's list tells at once which of them arrived meanwhile;
* more than ``failure_limit`` files failed in this round (the server is in trouble;
  retrying file by file would only hammer it), or
* a file fails a second time within the same round, so every retry after the first is
  preceded by a fresh answer (maybe someone else stored it meanwhile).

Only one worker asks; the others keep working. Rounds that had failures are counted,
and after ``max_failed_rounds`` of them the transfer fails with the names of the files
that kept failing. Rounds that only had deferrals are not counted: waiting for other
clients is progress, and a large pack shared with busy colleagues must not run out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ShamanError


@dataclass(frozen=True)
class RoundLimits:
    deferral_limit: int = 8
    failure_limit: int = 8
    max_failed_rounds: int = 50


class Rounds:
    def __init__(self, limits: RoundLimits, describe: str) -> None:
        self.limits = limits
        self._describe = describe
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.number = 1
        self.failed_rounds = 0
        self._deferrals = 0
        self._failures: dict[str, str] = {}
        self._all_failures: dict[str, str] = {}

    @property
    def current(self) -> int:
        with self._lock:
            return self.number

    def deferred(self) -> tuple[int, bool]:
        """Record a deferral; returns (round, whether this round should end now)."""
        with self._lock:
            self._deferrals += 1
            return self.number, self._deferrals > self.limits.deferral_limit

    def failed(self, pack_path: str, reason: str) -> tuple[int, bool]:
        """Record a failure; returns (round, whether this round should end now)."""
        with self._lock:
            again = pack_path in self._failures
            self._failures[pack_path] = reason
            self._all_failures[pack_path] = reason
            return self.number, again or len(self._failures) > self.limits.failure_limit

    def succeeded(self, pack_path: str) -> None:
        with self._lock:
            self._all_failures.pop(pack_path, None)

    def end(self, round_number: int, ask_server: Callable[[], object]) -> None:
        """End ``round_number`` by calling ``ask_server`` (once, whoever comes first).

        Raises ShamanError when too many rounds had failures.
        """
        with self._refresh_lock:
            with self._lock:
                if self.number != round_number:
                    return  # another worker already ended it
                had_failures = bool(self._failures)
                if had_failures and self.failed_rounds + 1 >= self.limits.max_failed_rounds:
                    raise ShamanError(self._give_up_message())
            ask_server()
            with self._lock:
                self.number += 1
                if had_failures:
                    self.failed_rounds += 1
                self._deferrals = 0
                self._failures.clear()

    def _give_up_message(self) -> str:
        names = [f"{path} ({reason})" for path, reason in sorted(self._all_failures.items())]
        shown = "; ".join(names[:5]) + (f"; and {len(names) - 5} more" if len(names) > 5 else "")
        return (
            f"{self._describe}: gave up after {self.limits.max_failed_rounds} rounds with failed uploads; "
            f"still failing: {shown}"
        )
