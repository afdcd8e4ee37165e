# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts for the robustness run: how many inputs were fuzzed and how each ended."""

from __future__ import annotations

from pathlib import Path

import pytest
from robustness.harness import TALLY
from robustness.hostile import build_world
from shaman.server_fixture import make_shaman_server  # noqa: F401 - a real Shaman server on loopback


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hostile-path .blend files written by bpy (world/), plus empty targets/ and victim/ folders."""
    root = tmp_path_factory.mktemp("hostile")
    build_world(root / "world")
    (root / "targets").mkdir()
    (root / "victim").mkdir()
    return root


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.outcomes:
        return
    terminalreporter.section("robustness: fuzzed inputs")
    for key in sorted(TALLY.outcomes):
        terminalreporter.write_line(f"{key}: {TALLY.outcomes[key]}")
    totals = sum(v for k, v in TALLY.outcomes.items() if k.endswith(": total"))
    terminalreporter.write_line(f"all groups: {totals} inputs in {TALLY.seconds:.1f} s")
