# SPDX-License-Identifier: GPL-3.0-or-later
"""The plain result of a job, as the N-panel shows it and the JSON export writes it.

Built from the core's own results (``bat_core.api.PackResult`` and ``DependencyCheck``), keeping
the core's ``report`` dict for the JSON export.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bat_core.api import DependencyCheck, PackResult


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


def _plain(report: Mapping[str, Any]) -> Mapping[str, Any]:
    """The core's report with every value JSON can hold (paths and the like become strings)."""
    return json.loads(json.dumps(dict(report), default=str))  # type: ignore[no-any-return]


def from_pack_result(operation: str, result: PackResult, dry_run: bool) -> JobSummary:
    missing = tuple(_text(m) for m in result.missing)
    return JobSummary(
        operation=operation,
        target=result.target,
        dry_run=dry_run,
        files_total=result.files_total,
        bytes_total=result.bytes_total,
        uploaded_files=result.uploaded_files,
        uploaded_bytes=result.uploaded_bytes,
        checkout_path=_text(result.checkout_path),
        main_blend_in_pack=_text(result.main_blend_in_pack),
        missing=missing,
        dependencies=tuple(Dependency("missing", m) for m in missing),
        report=_plain(result.report),
    )


CHECK_CATEGORIES = ("missing", "outside_project", "absolute")


def from_dependency_check(result: DependencyCheck) -> JobSummary:
    deps = tuple(
        Dependency(category, item.path, ", ".join(item.owners))
        for category in CHECK_CATEGORIES
        for item in getattr(result, category)
    )
    return JobSummary(
        operation="check",
        target=result.blend,
        files_total=result.files_total,
        missing=tuple(item.path for item in result.missing),
        dependencies=deps,
        report=_plain(result.report),
    )
