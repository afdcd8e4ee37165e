# SPDX-License-Identifier: GPL-3.0-or-later
"""The plain result of a job, as the N-panel shows it and the JSON export writes it.

The core returns its own frozen dataclasses (PackResult, TraceResult); this module reads them
by attribute name so that the panel does not depend on their exact classes, and keeps the
core's own ``report`` dict for the JSON export.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any


@dataclass(frozen=True)
class Dependency:
    """One file worth the user's attention: which category, where, and who uses it."""

    category: str  # "missing", "outside_project" or "absolute"
    path: str
    owner: str = ""


@dataclass(frozen=True)
class JobSummary:
    operation: str  # "shaman", "directory", "zip", "s3" or "check"
    target: str = ""
    dry_run: bool = False
    files_total: int = 0
    bytes_total: int = 0
    uploaded_files: int = 0
    uploaded_bytes: int = 0
    checkout_path: str = ""
    main_blend_in_pack: str = ""
    missing: tuple[str, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    report: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["report"] = dict(self.report)
        return json.dumps(data, indent=2, sort_keys=True, default=str)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _describe(item: object) -> tuple[str, str]:
    """(path, owner) of a dependency item: a path-like, or an object with path and owner fields."""
    if isinstance(item, (str, bytes, PurePath)):
        return _text(item), ""
    path = next((getattr(item, n) for n in ("path", "abspath", "filepath", "asset_path") if hasattr(item, n)), item)
    owners: object = next(
        (getattr(item, n) for n in ("owner", "owners", "datablock", "datablocks", "users") if hasattr(item, n)),
        "",
    )
    if isinstance(owners, (list, tuple, set, frozenset)):
        owners = ", ".join(sorted(_text(o) for o in owners))
    return _text(path), _text(owners)


def _items(result: object, name: str) -> Iterable[object]:
    value = getattr(result, name, ())
    return value if isinstance(value, Iterable) and not isinstance(value, (str, bytes)) else ()


def _report(result: object) -> Mapping[str, Any]:
    report = getattr(result, "report", None)
    if callable(report):
        report = report()
    if isinstance(report, Mapping):
        return report
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return json.loads(json.dumps(dataclasses.asdict(result), default=str))  # type: ignore[no-any-return]
    return {}


def from_pack_result(operation: str, result: object, dry_run: bool) -> JobSummary:
    missing = tuple(_describe(m)[0] for m in _items(result, "missing"))
    return JobSummary(
        operation=operation,
        target=_text(getattr(result, "target", "")),
        dry_run=dry_run,
        files_total=int(getattr(result, "files_total", 0) or 0),
        bytes_total=int(getattr(result, "bytes_total", 0) or 0),
        uploaded_files=int(getattr(result, "uploaded_files", 0) or 0),
        uploaded_bytes=int(getattr(result, "uploaded_bytes", 0) or 0),
        checkout_path=_text(getattr(result, "checkout_path", "")),
        main_blend_in_pack=_text(getattr(result, "main_blend_in_pack", "")),
        missing=missing,
        dependencies=tuple(Dependency("missing", *_describe(m)) for m in _items(result, "missing")),
        report=_report(result),
    )


CHECK_CATEGORIES = ("missing", "outside_project", "absolute")


def from_trace_result(blend: str, result: object) -> JobSummary:
    deps = tuple(Dependency(cat, *_describe(item)) for cat in CHECK_CATEGORIES for item in _items(result, cat))
    return JobSummary(
        operation="check",
        target=blend,
        files_total=len(list(_items(result, "dependencies"))) or int(getattr(result, "files_total", 0) or 0),
        missing=tuple(d.path for d in deps if d.category == "missing"),
        dependencies=deps,
        report=_report(result),
    )
