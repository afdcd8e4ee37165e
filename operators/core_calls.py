# SPDX-License-Identifier: GPL-3.0-or-later
"""The only place the add-on calls the packing core (``bat_core.api``); runs in the worker thread.

Requests are frozen plain values built on the main thread. The core's api module is imported
when a job runs, not when the add-on registers: registering stays fast, and a build whose core
cannot be imported still registers and says clearly what is wrong when asked to pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ._errors import CoreUnavailableError
from .runner import Work
from .settings import Secrets
from .summary import JobSummary, from_dependency_check, from_pack_result

try:
    from ..bat_core.errors import MissingDependencyError
    from ..bat_core.progress import CancelToken, ProgressListener
except ImportError:  # pragma: no cover - top-level import in the tests
    from bat_core.errors import MissingDependencyError
    from bat_core.progress import CancelToken, ProgressListener


def load_api() -> ModuleType:
    try:
        if __package__ and "." in __package__:
            from ..bat_core import api
        else:  # imported as top-level ``operators`` (bpy-free tests): the core is top-level too
            from bat_core import api
    except ImportError as ex:
        raise CoreUnavailableError(
            f"The packing core is not available in this build of the add-on (bat_core.api: {ex}); "
            "install a complete release of Blender Asset Tracer"
        ) from None
    return api


@dataclass(frozen=True)
class PackRequest:
    """Everything one pack needs, as plain values; secrets are kept out of repr()."""

    operation: str  # "shaman", "directory", "zip" or "s3": how the result is shown
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


def pack_work(request: PackRequest) -> Work:
    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        api = load_api()
        options = api.PackOptions(
            blend=request.blend,
            target=request.target,
            project=request.project,
            exclude=request.exclude,
            relative_only=request.relative_only,
            noop=request.noop,
            compress=request.compress,
            # The core refuses before writing anything when strict and files are missing.
            strict=request.strict,
            verify=request.verify,
            cache_dir=request.cache_dir,
            shaman_token=request.shaman_token,
            s3_endpoint=request.s3_endpoint,
            s3_region=request.s3_region,
            s3_access_key=request.s3_access_key,
            s3_secret_key=request.s3_secret_key,
        )
        result = api.pack(options, listener, cancel)
        return from_pack_result(request.operation, result, dry_run=request.noop)

    return work


@dataclass(frozen=True)
class CheckRequest:
    blend: Path
    project: Path | None = None
    strict: bool = False


def check_work(request: CheckRequest) -> Work:
    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        api = load_api()
        result = api.check_dependencies(request.blend, listener, cancel, project=request.project)
        summary = from_dependency_check(result)
        if request.strict and summary.missing:
            shown = ", ".join(summary.missing[:5]) + (" …" if len(summary.missing) > 5 else "")
            raise MissingDependencyError(f"{request.blend}: {len(summary.missing)} missing file(s): {shown}")
        return summary

    return work
