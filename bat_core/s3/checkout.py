# SPDX-License-Identifier: GPL-3.0-or-later
"""Materialise a content-addressed (dedupe) pack into a plain folder, e.g. on a farm node.

Reads the manifest, downloads each file's blob with boto3 managed transfers (ranged,
parallel GETs for large blobs) to its pack path, and checks every file's SHA-256 against
the manifest. Files already in the folder with the right content are not downloaded
again, so checking out the next version of a pack into the same folder fetches only what
changed. The main .blend is written last: a folder without it is visibly incomplete.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BatError, CancelledError, S3Error, TransferError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from . import managed
from .client import S3Connection, connect
from .credentials import resolve_credentials
from .hashing import hash_file
from .location import parse_s3_url
from .manifest import Manifest, ManifestEntry, parse_manifest
from .parallel import run_parallel

_EMIT_S = 0.1


@dataclass(frozen=True)
class CheckoutResult:
    directory: Path
    main: str
    files_total: int
    files_downloaded: int
    bytes_downloaded: int
    files_skipped: int
    """Files already in the folder with the right content."""
    seconds: float


def checkout_pack(
    manifest_url: str,
    directory: Path,
    *,
    endpoint: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    workers: int = 8,
    max_attempts: int = 5,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
) -> CheckoutResult:
    started = time.monotonic()
    token = cancel or CancelToken()
    location = parse_s3_url(manifest_url, endpoint=endpoint)
    if not location.prefix:
        raise S3Error(f"{manifest_url!r} names a bucket, not a manifest: give the URL of packs/<name>.json")
    credentials = resolve_credentials(location.endpoint_host, access_key=access_key, secret_key=secret_key)
    conn = connect(location, credentials, region=region, max_pool=max(10, workers) + 2, max_attempts=max_attempts)
    manifest = _read_manifest(conn, manifest_url)
    root = Path(os.path.abspath(directory))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TransferError(f"cannot create the checkout folder {root}: {exc.strerror}") from exc
    places = {e.path: _place(root, e.path) for e in manifest.files}
    present = _already_present(manifest.files, places, workers, token, listener)
    if manifest.main in present and len(present) < len(manifest.files):
        # As with a directory pack: while anything is missing the main .blend is absent,
        # so a half-updated folder cannot be mistaken for a complete one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(places[manifest.main])
        present.discard(manifest.main)
    todo = [e for e in manifest.files if e.path not in present]
    mains = [e for e in todo if e.path == manifest.main]
    others = [e for e in todo if e.path != manifest.main]
    manager = conn.transfer_manager(max(1, workers))
    try:
        progress = _Progress(sum(e.size for e in todo), len(todo))
        for batch in (others, mains):
            _download(conn, manager, manifest, batch, places, token, listener, progress)
        listener(progress.event(f"checked out {len(manifest.files)} files into {root}"))
    except BaseException:
        token.cancel()
        with contextlib.suppress(Exception):
            manager.shutdown(cancel=True)
        raise
    manager.shutdown()
    return CheckoutResult(
        directory=root,
        main=manifest.main,
        files_total=len(manifest.files),
        files_downloaded=len(todo),
        bytes_downloaded=sum(e.size for e in todo),
        files_skipped=len(present),
        seconds=time.monotonic() - started,
    )


def _read_manifest(conn: S3Connection, url: str) -> Manifest:
    loc = conn.location
    try:
        data: bytes = conn.client.get_object(Bucket=loc.bucket, Key=loc.prefix)["Body"].read()
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404"):
            raise S3Error(f"no pack manifest at {url} ({conn.endpoint_name()}): check the URL") from None
        # Reading the manifest is the first request: a missing bucket reads like one.
        raise conn.error(exc, f"listing s3://{loc.bucket}/{loc.prefix}") from exc
    return parse_manifest(data, url)


def _place(root: Path, pack_path: str) -> Path:
    """Where ``pack_path`` goes, refusing folders on the way that are symbolic links."""
    folder = root
    for part in pack_path.split("/")[:-1]:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise TransferError(f"{folder} is a symbolic link; refusing to write {pack_path} through it")
        if not stat.S_ISDIR(mode):
            raise TransferError(f"{folder} is a file where the checkout needs a folder for {pack_path}")
    return root / pack_path


def _already_present(
    entries: Sequence[ManifestEntry],
    places: dict[str, Path],
    workers: int,
    cancel: CancelToken,
    listener: ProgressListener,
) -> set[str]:
    def same_size(entry: ManifestEntry) -> bool:
        try:
            st = os.lstat(places[entry.path])
        except FileNotFoundError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size == entry.size

    candidates = [e for e in entries if same_size(e)]

    def check(entry: ManifestEntry, add: Callable[[int], None]) -> bool:
        return hash_file(places[entry.path], cancel, add).sha256 == entry.sha256

    same = run_parallel(
        candidates,
        check,
        workers=workers,
        cancel=cancel,
        listener=listener,
        stage=Stage.VERIFY,
        bytes_total=sum(e.size for e in candidates),
        done_message=f"{len(candidates)} files already in the folder were checked",
    )
    return {e.path for e, ok in zip(candidates, same, strict=True) if ok}


class _Progress:
    def __init__(self, bytes_total: int, files_total: int) -> None:
        self.bytes_total = bytes_total
        self.files_total = files_total
        self.bytes_done = 0
        self.files_done = 0

    def event(self, message: str = "") -> ProgressEvent:
        return ProgressEvent(
            stage=Stage.CHECKOUT,
            message=message,
            files_done=self.files_done,
            files_total=self.files_total,
            bytes_done=min(self.bytes_done, self.bytes_total),
            bytes_total=self.bytes_total,
        )


def _download(
    conn: S3Connection,
    manager: Any,
    manifest: Manifest,
    batch: Sequence[ManifestEntry],
    places: dict[str, Path],
    cancel: CancelToken,
    listener: ProgressListener,
    progress: _Progress,
) -> None:
    bucket = conn.location.bucket
    running: list[tuple[ManifestEntry, Any, managed.Watcher]] = []
    done_bytes = [0]
    base = progress.bytes_done

    def add(n: int) -> None:
        done_bytes[0] += n  # under the watcher's lock; a rare lost update only slows the bar

    for entry in batch:
        dest = places[entry.path]
        dest.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(dest)  # s3transfer renames over it; a stale link must not be followed
        watcher = managed.Watcher(add, cancel)
        future = manager.download(bucket, manifest.blob_key(entry), str(dest), subscribers=[watcher])
        running.append((entry, future, watcher))
    last_emit = 0.0
    for entry, future, watcher in running:
        while not watcher.done.wait(_EMIT_S):
            if cancel.cancelled:
                raise CancelledError("checkout cancelled by the user")
            now = time.monotonic()
            if now - last_emit >= _EMIT_S:
                last_emit = now
                progress.bytes_done = base + done_bytes[0]
                listener(progress.event())
        key = manifest.blob_key(entry)
        try:
            future.result()
        except BatError:
            raise
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                raise S3Error(
                    f"blob s3://{bucket}/{key} for {entry.path} is missing from the store; "
                    "pack again with --s3-dedupe to upload it"
                ) from None
            raise conn.error(exc, f"downloading s3://{bucket}/{key} for {entry.path}") from exc
        digest = hash_file(places[entry.path], cancel)
        if digest.sha256 != entry.sha256 or digest.size != entry.size:
            with contextlib.suppress(OSError):
                os.unlink(places[entry.path])
            raise S3Error(
                f"blob s3://{bucket}/{key} does not hold the content its name promises (for {entry.path}); "
                "the store is damaged: pack again with --s3-dedupe to re-upload it"
            )
        progress.files_done += 1
    progress.bytes_done = base + sum(e.size for e in batch)
