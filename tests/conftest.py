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
