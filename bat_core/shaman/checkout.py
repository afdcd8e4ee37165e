# SPDX-License-Identifier: GPL-3.0-or-later
"""Checkouts: a directory under the jobs root whose files are symlinks to stored blobs."""

from __future__ import annotations

import os
import secrets
import shutil
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .identity import FileIdentity
from .store import FileStore
from .validation import checkout_path_problem, file_path_problem

# One lock per process serialises picking a unique directory, as Flamenco does.
_UNIQUE_DIR_LOCK = threading.Lock()
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_ATTEMPTS = 10


@dataclass(frozen=True)
class CheckoutFile:
    identity: FileIdentity
    path: str


class CheckoutProblem(StrEnum):
    INVALID = "invalid"  # strict 400
    MISSING = "missing"  # strict 424
    EXISTS = "exists"  # strict 409
    FAILED = "failed"  # 500


class CheckoutError(Exception):
    def __init__(self, problem: CheckoutProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def _first_missing_ancestor(path: Path, root: Path) -> Path:
    """The highest directory between ``root`` and ``path`` that does not exist yet."""
    highest = path
    for parent in path.parents:
        if parent == root or os.path.lexists(parent):
            break
        highest = parent
    return highest


def random_suffix() -> str:
    """Four characters from [a-z0-9], appended to a taken checkout path."""
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(4))


def _make_unique_dir(jobs_root: Path, requested: str) -> tuple[str, Path, Path]:
    """Create ``requested`` or a suffixed variant.

    Returns (relative path, directory, highest directory this call created).
    """
    with _UNIQUE_DIR_LOCK:
        for attempt in range(_ATTEMPTS):
            relative = requested
            if attempt > 0:
                relative = f"{requested}-{random_suffix()}"
            directory = jobs_root / relative
            if os.path.lexists(directory):
                continue
            created_top = _first_missing_ancestor(directory, jobs_root)
            directory.parent.mkdir(parents=True, exist_ok=True)
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            return relative, directory, created_top
    raise CheckoutError(
        CheckoutProblem.EXISTS,
        f"a checkout with this ID already exists: {requested!r} and {_ATTEMPTS - 1} suffixed variants are taken",
    )


def _link_target(blob: Path, link: Path) -> str:
    """The blob path relative to the link's directory, so the storage can move as a whole."""
    try:
        return os.path.relpath(blob, link.parent)
    except ValueError:  # different Windows drives: no relative path exists
        return str(blob)


def _link_path(directory: Path, path: str) -> Path:
    # Like Go's filepath.Join, which F3 uses: a leading '/' does not make the path absolute
    # and the result is cleaned. Strict mode has already refused such paths.
    return Path(os.path.normpath(os.path.join(directory, path.lstrip("/"))))


def _link(store: FileStore, directory: Path, entry: CheckoutFile) -> bool:
    """Create one symlink; True when the blob should be touched (F3's rule, see W13)."""
    link = _link_path(directory, entry.path)
    blob = store.blob_path(entry.identity)
    target = _link_target(blob, link)
    needed_parent = not link.parent.exists()
    if needed_parent:
        link.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(target, link)
    except FileExistsError:
        if os.path.islink(link) and os.readlink(link) == target:
            return True  # the same file listed twice
        raise CheckoutError(
            CheckoutProblem.INVALID,
            f"{entry.path!r} is listed twice with different contents",
        ) from None
    return needed_parent


def _check_entries_strict(files: Sequence[CheckoutFile]) -> None:
    by_path: dict[str, FileIdentity] = {}
    for entry in files:
        problem = file_path_problem(entry.path)
        if problem:
            raise CheckoutError(CheckoutProblem.INVALID, f"invalid file path {entry.path!r}: {problem}")
        known = by_path.setdefault(entry.path, entry.identity)
        if known != entry.identity:
            raise CheckoutError(CheckoutProblem.INVALID, f"{entry.path!r} is listed twice with different contents")
    for path in by_path:
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in by_path:
                raise CheckoutError(
                    CheckoutProblem.INVALID, f"{prefix!r} is a file but {path!r} needs it as a directory"
                )


def _check_entries_f3(directory: Path, files: Sequence[CheckoutFile]) -> None:
    # F3 validates nothing here and lets '..' escape the checkout (W9). A test server must
    # not write outside its storage, so f3-compat refuses escapes (as a 500, like any F3
    # checkout failure) and otherwise accepts what F3 accepts.
    base = os.path.normpath(directory)
    for entry in files:
        if not str(_link_path(directory, entry.path)).startswith(base + os.sep):
            raise CheckoutError(CheckoutProblem.FAILED, f"file path {entry.path!r} points outside the checkout")


def create_checkout(
    store: FileStore,
    jobs_root: Path,
    requested: str,
    files: Sequence[CheckoutFile],
    *,
    strict: bool,
) -> str:
    """Create the checkout and return the relative path actually used."""
    problem = checkout_path_problem(requested, strict=strict)
    if problem:
        kind = CheckoutProblem.INVALID if strict else CheckoutProblem.FAILED
        raise CheckoutError(kind, f"invalid checkout path {requested!r}: {problem}")
    if strict:
        _check_entries_strict(files)
        missing = [f.path for f in files if not store.is_stored(f.identity)]
        if missing:
            raise _missing_error(missing)

    jobs_root.mkdir(parents=True, exist_ok=True)
    # created_top lets a strict failure remove exactly what this checkout made.
    relative, directory, created_top = _make_unique_dir(jobs_root, requested)
    try:
        if not strict:
            _check_entries_f3(directory, files)
        for entry in files:
            if not store.is_stored(entry.identity):
                raise _missing_error([entry.path])
            if _link(store, directory, entry) or strict:
                store.touch(entry.identity)
    except BaseException as exc:
        if strict:
            shutil.rmtree(created_top, ignore_errors=True)
        else:
            # F3 removes jobs/<requested>, not the directory it created (W8): when the
            # name was taken, an older checkout goes and the partial new one stays.
            shutil.rmtree(jobs_root / requested, ignore_errors=True)
        if isinstance(exc, CheckoutError):
            raise
        if isinstance(exc, OSError):
            raise CheckoutError(CheckoutProblem.FAILED, f"cannot create checkout: {exc}") from exc
        raise
    return relative


def _missing_error(paths: list[str]) -> CheckoutError:
    shown = ", ".join(repr(p) for p in paths[:5])
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return CheckoutError(CheckoutProblem.MISSING, f"unknown files requested in checkout: {shown}{more}")
