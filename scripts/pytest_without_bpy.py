# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin for runs without the bpy module (scripts/test-core-py313): leaves out the tests
whose fixtures make their sample files with bpy at run time, and says how many and which
fixtures. Tests marked ``bpy`` are left out by the caller's ``-m "not bpy"`` already."""

from __future__ import annotations

import importlib.util

import pytest

# Session fixtures that run bpy to write .blend files (tests/conftest.py, tests/blendgen/).
BPY_FIXTURES = frozenset({"bpy50_samples", "productions"})
# Parametrized fixtures whose parameter picks the bpy-made set (the committed bpy42 set still runs).
BPY_PARAMS = frozenset({("samples", "bpy50")})


def needs_bpy(item: pytest.Item) -> bool:
    if BPY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(params.get(name) == value for name, value in BPY_PARAMS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if importlib.util.find_spec("bpy") is not None:
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if needs_bpy(item) else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        print(f"\nwithout bpy: left out {len(dropped)} tests that make their files with bpy "
              f"(fixtures {', '.join(sorted(BPY_FIXTURES))}; samples=bpy50)")  # fmt: skip
