# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test setup: make the repo root importable (bat_core) and the tests folder (helpers)."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
for p in (str(REPO), str(TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def bpy50_samples(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Small sample files written by bpy 5.0.1 in this run (see tests/samples/make_samples.py)."""
    from samples.fixtures import make_bpy50_samples

    return make_bpy50_samples(tmp_path_factory.mktemp("bpy50-samples"))


# Real-Blender test productions with Blender's own dependency answer (tests/blendgen/).
from blendgen.fixture import productions  # noqa: E402, F401
