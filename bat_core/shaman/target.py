# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a pack to a Shaman server (Flamenco 3): the transfer Target for ``shaman://`` URLs.

How a run goes (``bat_core.transfer.engine`` drives it):

``begin``
    Hash every file (in parallel, through the checksum cache), send the requirements
    list, and return one item per file content the server lacks; files it already has,
    and second copies of the same content, count as skipped. Files the server reports as
    being uploaded by someone else go last; each group is shuffled, so two people sending
    the same project do not collide file after file.

``send`` (one worker per connection), per file, until it is stored:
    1. If the latest requirements answer no longer lists the file, it is there: SKIPPED.
    2. Ask for its status (a cheap GET). ``stored``: SKIPPED.
    3. ``uploading`` (someone else sends it) and this file was never deferred: *defer*,
       which here means waiting for the other upload to finish (polling the status)
       instead of sending the same bytes in parallel. The wait is bounded (a base time
       plus the time the file takes at 10 MB/s); then, or when the other upload vanished,
       we upload it ourselves without the defer header. The engine gives each worker one
       file at a time, so waiting is the only way to come back to a deferred file without
       dropping it (the bug of the reference clients); other workers keep sending.
    4. Upload it, streamed from disk, with ``X-Shaman-Can-Defer-Upload: true`` unless it
       was deferred before. 2xx: SENT. 208: SKIPPED (someone else completed it). 425:
       defer as in 3. 417: re-hash it without the cache; if it changed, retry with the
       new checksum, if not, fail naming the file. Connection lost: ask for the status
       and treat it like 2/3, or as a failure when still unknown. 5xx: failure.
    A failure backs off and retries; ``rounds.Rounds`` decides when a fresh requirements
    list is asked for and when to give up (the error then names the failing files).
    No file is uploaded again once it was stored.

``commit``
    Ask for the requirements once more: it must come back empty (if not, the missing
    files are sent now). Then create the checkout at the sanitised path, retrying once
    when the server says files are missing, and keep the path the server answered.

``abort``
    Stops the workers at their next chunk. No checkout is ever requested after an abort,
    and none exists before ``commit``, so an aborted run leaves only stored blobs behind
    (the server deduplicates and garbage-collects those).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import CancelledError, ShamanError, ShamanUnavailableError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from ..transfer.target import BytesCallback, SendOutcome, TransferItem
from .checksum_cache import ChecksumCache, default_cache_dir
from .client import (
    ClientOptions,
    ConnectionLostError,
    FileChangedError,
    FileSpec,
    ServerAnswerError,
    ShamanClient,
    UploadReply,
    sleep,
)
from .hashing import hash_files
from .naming import sanitise_checkout_path
from .rounds import RoundLimits, Rounds
from .url import ShamanURL, parse_shaman_url

log = logging.getLogger("bat_core.shaman.client")

Identity = tuple[str, int]


@dataclass(frozen=True)
class ShamanOptions:
    """Knobs of a Shaman transfer; the defaults suit a real Manager."""

    checkout_path: str | None = None
    """Requested checkout path (sanitised before use); default: the URL fragment, else the
    main .blend's name."""
    main_pack_path: str | None = None
    """Pack path of the main .blend, when no item is marked ``is_main``."""
    cache_dir: Path | None = None
    use_cache: bool = True
    hash_workers: int | None = None
    client: ClientOptions = field(default_factory=ClientOptions)
    rounds: RoundLimits = field(default_factory=RoundLimits)
    peer_wait_s: float = 30.0
    """How long to wait for someone else's upload of a file, plus ``size / peer_rate``."""
    peer_rate_bytes_per_s: float = 10e6
    retry_backoff_s: float = 0.25
    max_retry_backoff_s: float = 5.0


@dataclass(frozen=True)
class _PackFile:
    item: TransferItem
    sha: str
    size: int

    @property
    def identity(self) -> Identity:
        return (self.sha, self.size)

    @property
    def spec(self) -> FileSpec:
        return FileSpec(self.sha, self.size, self.item.pack_path)


class ShamanTarget:
    def __init__(self, url: ShamanURL, options: ShamanOptions | None = None) -> None:
        self.url = url
        self.options = options or ShamanOptions()
        self.client = ShamanClient(url, self.options.client)
        requested = self.options.checkout_path or url.checkout_path
        self._requested_checkout = sanitise_checkout_path(requested) if requested else None
        self._cache = ChecksumCache(self.options.cache_dir or default_cache_dir()) if self.options.use_cache else None
        self._lock = threading.Lock()
        self._files: dict[str, _PackFile] = {}
        self._needed: set[Identity] = set()
        self._stored: set[Identity] = set()
        self._rounds = Rounds(self.options.rounds, self.describe())
        self._cancel: CancelToken = CancelToken()
        self._aborted = threading.Event()
        self._main: str | None = self.options.main_pack_path
        self._checkout_path: str | None = None
        self._stats = {
            "files_hashed": 0,
            "bytes_hashed": 0,
            "files_from_cache": 0,
            "requirements_calls": 0,
            "deferrals": 0,
            "connections_lost": 0,
            "failures": 0,
        }

    # -- Target protocol ---------------------------------------------------------------------

    @property
    def max_workers(self) -> int:
        return max(1, self.options.client.connections)

    def describe(self) -> str:
        return self.client.describe()

    def begin(
        self,
        items: Sequence[TransferItem],
        cancel: CancelToken,
        listener: ProgressListener = ignore_progress,
    ) -> Sequence[TransferItem]:
        self._cancel = cancel
        mains = [i.pack_path for i in items if i.is_main]
        if mains:
            self._main = mains[0]
        hashes = hash_files(
            [i.source for i in items],
            cache=self._cache,
            workers=self.options.hash_workers,
            cancel=cancel,
            listener=listener,
            use_cache=self.options.use_cache,
        )
        for item, h in zip(items, hashes, strict=True):
            self._files[item.pack_path] = _PackFile(item, h.sha256, h.size)
            if h.from_cache:
                self._stats["files_from_cache"] += 1
            else:
                self._stats["files_hashed"] += 1
                self._stats["bytes_hashed"] += h.size
        required = self._ask_requirements(cancel)
        by_path = {f.item.pack_path: f for f in self._files.values()}
        unknown: list[TransferItem] = []
        uploading: list[TransferItem] = []
        for entry in required:
            pack_file = by_path[entry.path]
            (uploading if entry.status == "uploading" else unknown).append(pack_file.item)
        random.shuffle(unknown)
        random.shuffle(uploading)
        listener(
            ProgressEvent(
                stage=Stage.HASH,
                message=f"{self.describe()} needs {len(required)} of {len(items)} files",
                files_done=len(items),
                files_total=len(items),
            )
        )
        return unknown + uploading

    def send(self, item: TransferItem, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome:
        try:
            outcome = self._send_until_stored(item.pack_path, on_bytes, cancel)
        except ShamanError as exc:
            # The engine names the file and this server; say the rest only once.
            prefix = self.describe() + ": "
            text = str(exc)
            if not text.startswith(prefix):
                raise
            raise ShamanError(text[len(prefix) :]) from exc
        self._rounds.succeeded(item.pack_path)
        return outcome

    def commit(self) -> None:
        cancel = self._cancel
        self._check_running(cancel)
        missing = self._ask_requirements(cancel)
        for _ in range(3):
            if not missing:
                break
            log.info("%s still lacks %d files before the checkout; sending them", self.describe(), len(missing))
            for entry in missing:
                self._send_until_stored(entry.path, lambda n: None, cancel)
            missing = self._ask_requirements(cancel)
        if missing:
            raise ShamanError(
                f"{self.describe()} still lacks {_names([m.path for m in missing])} after uploading them; "
                "not creating a checkout"
            )
        specs = self._specs()
        path = self._requested_checkout or self._default_checkout_path()
        self._check_running(cancel)
        try:
            used = self.client.checkout(specs, path, cancel)
        except ServerAnswerError as exc:
            if not (exc.status == 424 or (exc.status == 500 and "unknown file" in exc.server_message)):
                raise
            # Something we sent vanished (garbage collection, a wiped store): send it again.
            log.info("%s: checkout reports missing files; sending them again", self.describe())
            for entry in self._ask_requirements(cancel):
                self._send_until_stored(entry.path, lambda n: None, cancel)
            self._check_running(cancel)
            used = self.client.checkout(specs, path, cancel)
        self._checkout_path = used
        log.info("%s: checkout created at %r", self.describe(), used)
        self.close()

    def abort(self) -> None:
        self._aborted.set()
        self.close()

    def close(self) -> None:
        self.client.close()
        if self._cache is not None:
            self._cache.close()

    def result_info(self) -> dict[str, Any]:
        """What a caller needs after ``commit``.

        ``checkout_path``: the checkout path as the server returned it (relative to the
        Manager's jobs folder; store it, e.g. as Flamenco's ``shaman_checkout_id``), None
        before a successful commit. ``main_blend``: the main .blend's path inside the
        checkout. ``main_blend_jobs_path``: ``checkout_path/main_blend``, for a Flamenco job's
        ``{jobs}/...`` blend file setting. Counters say what was hashed and asked.
        """
        main_in_jobs = None
        if self._checkout_path is not None and self._main is not None:
            main_in_jobs = f"{self._checkout_path}/{self._main}"
        return {
            "server": self.url.base_url,
            "requested_checkout_path": self._requested_checkout or self._default_checkout_path(),
            "checkout_path": self._checkout_path,
            "main_blend": self._main,
            "main_blend_jobs_path": main_in_jobs,
            "rounds": self._rounds.current,
            "failed_rounds": self._rounds.failed_rounds,
            **self._snapshot(),
        }

    # -- one file ----------------------------------------------------------------------------

    def _send_until_stored(self, pack_path: str, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome:
        deferred = False
        failures = 0
        while True:
            self._check_running(cancel)
            pack_file = self._file(pack_path)
            if self._is_done(pack_file):
                return SendOutcome.SKIPPED
            reason = ""
            try:
                state = self.client.file_status(pack_file.sha, pack_file.size, cancel)
                if state == "stored":
                    self._mark_stored(pack_file)
                    return SendOutcome.SKIPPED
                if state == "uploading" and not deferred:
                    deferred = True
                    if self._defer(pack_file, cancel):
                        return SendOutcome.SKIPPED
                    continue
                result = self.client.upload(
                    pack_file.item.source,
                    pack_file.sha,
                    pack_file.size,
                    pack_path,
                    can_defer=not deferred,
                    on_bytes=on_bytes,
                    cancel=cancel,
                )
                if result.reply is UploadReply.STORED:
                    self._mark_stored(pack_file)
                    return SendOutcome.SENT
                if result.reply is UploadReply.ALREADY_STORED:
                    self._mark_stored(pack_file)
                    return SendOutcome.SKIPPED
                if result.reply is UploadReply.DEFER:
                    deferred = True
                    if self._defer(pack_file, cancel):
                        return SendOutcome.SKIPPED
                    continue
                reason = self._rehash_after_mismatch(pack_file, result.message, cancel)
            except FileChangedError:
                reason = self._rehash_after_mismatch(pack_file, "the file changed while it was sent", cancel)
            except ConnectionLostError as exc:
                self._count("connections_lost")
                state = self._status_after_drop(pack_file, cancel)
                if state == "stored":
                    self._mark_stored(pack_file)
                    return SendOutcome.SKIPPED
                if state == "uploading" and not deferred:
                    deferred = True
                    if self._defer(pack_file, cancel):
                        return SendOutcome.SKIPPED
                    continue
                reason = str(exc).rsplit(": ", 1)[-1]
            except ShamanUnavailableError as exc:
                reason = str(exc)
            except ServerAnswerError as exc:
                if exc.status == 507:
                    # Insufficient Storage: retrying cannot help until someone frees space.
                    raise ShamanError(
                        f"{self.describe()}: the server's storage is full while receiving {pack_path!r}; "
                        "free space on the server and send again"
                    ) from None
                if exc.status < 500:
                    if exc.status == 400 and pack_file.size == 0:
                        raise ShamanError(
                            f"{self.describe()}: the server refuses the empty file {pack_path!r} "
                            f"(Flamenco 3 cannot store zero-byte files): {exc.server_message}"
                        ) from None
                    raise
                reason = f"HTTP {exc.status}: {exc.server_message}"
            failures += 1
            self._failed(pack_path, reason, failures, cancel)

    def _defer(self, pack_file: _PackFile, cancel: CancelToken) -> bool:
        """Wait for someone else's upload of this file; True when it got stored."""
        self._count("deferrals")
        round_number, end_round = self._rounds.deferred()
        if end_round:
            self._end_round(round_number, cancel)
        wait_s = self.options.peer_wait_s + pack_file.size / self.options.peer_rate_bytes_per_s
        deadline = time.monotonic() + wait_s
        interval = 0.05
        while time.monotonic() < deadline:
            sleep(interval, cancel)
            interval = min(1.0, interval * 1.5)
            if self._is_done(pack_file):
                return True
            try:
                state = self.client.file_status(pack_file.sha, pack_file.size, cancel)
            except ShamanUnavailableError:
                return False
            if state == "stored":
                self._mark_stored(pack_file)
                return True
            if state == "unknown":
                return False  # the other upload failed or was abandoned: send it ourselves
        log.info(
            "%s: %s is still being uploaded by someone else after %.0f s; sending it ourselves",
            self.describe(),
            pack_file.item.pack_path,
            wait_s,
        )
        return False

    def _status_after_drop(self, pack_file: _PackFile, cancel: CancelToken) -> str:
        try:
            return self.client.file_status(pack_file.sha, pack_file.size, cancel)
        except ShamanUnavailableError:
            return "unknown"

    def _rehash_after_mismatch(self, pack_file: _PackFile, server_message: str, cancel: CancelToken) -> str:
        """A 417: drop the cached checksum and hash again; raise if the file did not change."""
        source = pack_file.item.source
        if self._cache is not None:
            self._cache.forget(str(source.absolute()))
        fresh = hash_files([source], cache=self._cache, cancel=cancel, use_cache=False)[0]
        if (fresh.sha256, fresh.size) == pack_file.identity:
            raise ShamanError(
                f"{self.describe()}: the server refused {source} ({pack_file.item.pack_path!r}): {server_message}; "
                "the file hashes the same again, so its bytes change while being read or are "
                "corrupted on the way"
            )
        updated = _PackFile(pack_file.item, fresh.sha256, fresh.size)
        with self._lock:
            self._files[pack_file.item.pack_path] = updated
            self._needed.add(updated.identity)
        return "its content changed since it was hashed"

    def _failed(self, pack_path: str, reason: str, failures: int, cancel: CancelToken) -> None:
        log.info("%s: sending %s failed (%s); will retry", self.describe(), pack_path, reason)
        self._count("failures")
        round_number, end_round = self._rounds.failed(pack_path, reason)
        delay = min(self.options.max_retry_backoff_s, self.options.retry_backoff_s * 2 ** (failures - 1))
        sleep(delay * (0.5 + random.random() / 2), cancel)
        if end_round:
            self._end_round(round_number, cancel)

    def _end_round(self, round_number: int, cancel: CancelToken) -> None:
        self._rounds.end(round_number, lambda: self._ask_requirements(cancel))

    # -- shared state --------------------------------------------------------------------------

    def _ask_requirements(self, cancel: CancelToken) -> list[Any]:
        required = self.client.requirements(self._specs(), cancel)
        with self._lock:
            self._stats["requirements_calls"] += 1
            self._needed = {(r.sha, r.size) for r in required}
            # A blob stored earlier in this run can vanish again (garbage collection).
            self._stored -= self._needed
        return required

    def _snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    def _specs(self) -> list[FileSpec]:
        with self._lock:
            return [f.spec for f in self._files.values()]

    def _file(self, pack_path: str) -> _PackFile:
        with self._lock:
            return self._files[pack_path]

    def _is_done(self, pack_file: _PackFile) -> bool:
        with self._lock:
            return pack_file.identity in self._stored or pack_file.identity not in self._needed

    def _mark_stored(self, pack_file: _PackFile) -> None:
        with self._lock:
            self._stored.add(pack_file.identity)

    def _check_running(self, cancel: CancelToken) -> None:
        cancel.raise_if_cancelled()
        if self._aborted.is_set():
            raise CancelledError(f"transfer to {self.describe()} was aborted")

    def _default_checkout_path(self) -> str:
        stem = PurePosixPath(self._main).stem if self._main else "pack"
        return sanitise_checkout_path(f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")


def _names(paths: Sequence[str]) -> str:
    shown = ", ".join(repr(p) for p in paths[:5])
    return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def open_shaman_target(
    url: str,
    *,
    token: str | None = None,
    checkout_path: str | None = None,
    cache_dir: Path | None = None,
    connections: int = 4,
    main_pack_path: str | None = None,
    ca_bundle: Path | None = None,
    use_cache: bool = True,
    options: ShamanOptions | None = None,
) -> ShamanTarget:
    """A ShamanTarget for ``shaman://host[:port]/[path]#checkout/path`` (or ``shaman+http://``).

    ``checkout_path`` overrides the URL fragment. Keyword arguments override the matching
    fields of ``options``. Raises ShamanURLError for an unusable URL; nothing is contacted
    before ``begin``.
    """
    parsed = parse_shaman_url(url)
    base = options or ShamanOptions()
    client = ClientOptions(
        **{
            **base.client.__dict__,
            "token": token if token is not None else base.client.token,
            "ca_bundle": ca_bundle if ca_bundle is not None else base.client.ca_bundle,
            "connections": connections,
        }
    )
    merged = ShamanOptions(
        **{
            **base.__dict__,
            "checkout_path": checkout_path if checkout_path is not None else base.checkout_path,
            "main_pack_path": main_pack_path if main_pack_path is not None else base.main_pack_path,
            "cache_dir": cache_dir if cache_dir is not None else base.cache_dir,
            "use_cache": use_cache and base.use_cache,
            "client": client,
        }
    )
    return ShamanTarget(parsed, merged)
