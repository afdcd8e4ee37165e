# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts for the robustness run: how many inputs were fuzzed and how each ended."""

from __future__ import annotations

import pytest
from robustness.harness import TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.outcomes:
        return
    terminalreporter.section("robustness: fuzzed inputs")
    for key in sorted(TALLY.outcomes):
        terminalreporter.write_line(f"{key}: {TALLY.outcomes[key]}")
    totals = sum(v for k, v in TALLY.outcomes.items() if k.endswith(": total"))
    terminalreporter.write_line(f"all groups: {totals} inputs in {TALLY.seconds:.1f} s")
