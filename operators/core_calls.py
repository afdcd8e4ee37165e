# SPDX-License-Identifier: GPL-3.0-or-later
"""The only place the add-on calls the packing core; runs in the worker thread.

Requests are frozen plain values built on the main thread. The core module is imported
lazily, here, so the add-on registers (and reports a clear error) even in a build whose core
lacks ``bat_core.api``.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ._errors import CoreUnavailableError
from .runner import Work
from .settings import Secrets
from .summary import JobSummary, from_pack_result, from_trace_result

try:
    from ..bat_core.errors import MissingDependencyError
    from ..bat_core.progress import CancelToken, ProgressListener
except ImportError:  # pragma: no cover - top-level import in the tests
    from bat_core.errors import MissingDependencyError
    from bat_core.progress import CancelToken, ProgressListener


def load_api() -> ModuleType:
    try:
        from ..bat_core import api
    except ImportError as ex:
        reason = str(ex)
        if __package__ and "." not in __package__:
            # Imported as a top-level package (tests, CLI tools): the core is top-level too.
            try:
                import bat_core.api as api_top

                return api_top
            except ImportError as ex_top:
                reason = str(ex_top)
        raise CoreUnavailableError(
            f"The packing core is not available in this build of the add-on (bat_core.api: {reason}); "
            "install a complete release of Blender Asset Tracer"
        ) from None
    return api  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PackRequest:
    """Everything one pack needs, as plain values; secrets are kept out of repr()."""

    operation: str
    blend: Path
    target: str
    project: Path | None = None
    exclude: tuple[str, ...] = ()
    relative_only: bool = False
    noop: bool = False
    compress: bool = False
    strict: bool = False
    verify: bool = False
    cache_dir: Path | None = None
    s3_endpoint: str | None = None
    s3_region: str | None = None
    shaman_token: str | None = field(default=None, repr=False)
    s3_access_key: str | None = field(default=None, repr=False)
    s3_secret_key: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> Secrets:
        return Secrets(tuple(s for s in (self.shaman_token, self.s3_access_key, self.s3_secret_key) if s))

    def option_values(self, accepted: set[str]) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "operation"}
        # cache_dir is newer than the planned PackOptions; pass it only where the core takes it.
        if "cache_dir" not in accepted:
            values.pop("cache_dir")
        unknown = set(values) - accepted
        if unknown:
            raise CoreUnavailableError(
                f"The packing core in this build does not accept {', '.join(sorted(unknown))}; "
                "the add-on and its core are out of step"
            )
        return values


def pack_work(request: PackRequest) -> Work:
    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        api = load_api()
        accepted = {f.name for f in dataclasses.fields(api.PackOptions)}
        options = api.PackOptions(**request.option_values(accepted))
        result = api.pack(options, listener, cancel)
        summary = from_pack_result(request.operation, result, dry_run=request.noop)
        if request.strict and summary.missing:
            raise MissingDependencyError(
                f"{request.blend}: {len(summary.missing)} missing file(s), strict mode: "
                + ", ".join(summary.missing[:5])
                + (" …" if len(summary.missing) > 5 else "")
            )
        return summary

    return work


@dataclass(frozen=True)
class CheckRequest:
    blend: Path
    project: Path | None = None
    strict: bool = False


def check_work(request: CheckRequest) -> Work:
    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        api = load_api()
        kwargs: dict[str, Any] = {}
        if "project" in inspect.signature(api.check_dependencies).parameters:
            kwargs["project"] = request.project
        result = api.check_dependencies(request.blend, listener, cancel, **kwargs)
        summary = from_trace_result(str(request.blend), result)
        if request.strict and summary.missing:
            raise MissingDependencyError(
                f"{request.blend}: {len(summary.missing)} missing file(s): " + ", ".join(summary.missing[:5])
            )
        return summary

    return work
