# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a pack to S3-compatible storage (AWS, MinIO, Ceph, R2, Wasabi, ...).

Two layouts:

* **plain** (default): ``path/in/bucket/`` holds the pack exactly as the directory target
  would hold it in a folder, including how an unfinished pack is told apart: the object
  ``.bat-incomplete`` exists while a pack is being written (put in ``begin`` when anything
  will change, deleted by ``commit``), and the main .blend is deleted up front and
  uploaded last. Every object carries the SHA-256 of its content as metadata
  (``x-amz-meta-sha256``); a re-pack skips objects whose size and SHA-256 match, so an
  unchanged pack uploads nothing.
* **dedupe** (``--s3-dedupe``): content-addressed; see ``manifest.py``. Only blobs the
  store lacks are uploaded, and the manifest is written last, in ``commit``.

Uploads are boto3 managed transfers (multipart, parallel parts, streamed from the file)
through one transfer manager shared by all sends, so the engine's workers and the parts
of large files share one bounded pool of connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BatError, TransferError
from ..progress import CancelToken, ProgressListener, Stage
from ..transfer.target import BytesCallback, SendOutcome, TransferItem
from . import managed
from .client import S3Connection, connect
from .credentials import Credentials, DefaultChain
from .hashing import FileDigest, hash_file, unchanged_since
from .location import S3Location
from .manifest import BLOBS_DIR, Manifest, ManifestEntry, blob_name, manifest_name
from .parallel import run_parallel

INCOMPLETE_MARKER = ".bat-incomplete"
SHA256_METADATA = "sha256"
_MARKER_TEXT = (
    b"This pack is incomplete: Blender Asset Tracer was writing it and did not finish.\n"
    b"Pack again to the same place to complete it.\n"
)
_ABORT_GRACE_S = 3.0


class S3Target:
    """A pack sent to ``location``; see the module docstring for the two layouts."""

    def __init__(
        self,
        location: S3Location,
        credentials: Credentials | DefaultChain,
        *,
        region: str | None = None,
        dedupe: bool = False,
        main_pack_path: str | None = None,
        workers: int = 4,
        max_attempts: int = 5,
    ) -> None:
        self.location = location
        self.dedupe = dedupe
        self._credentials = credentials
        self._region = region
        self._main_pack_path = main_pack_path
        self._workers = max(1, workers)
        # boto3's own default is 10 requests in flight; never fewer than the engine's workers.
        self._concurrency = max(10, self._workers)
        self._max_attempts = max(1, max_attempts)
        self._conn: S3Connection | None = None
        self._manager: Any = None
        self._digests: dict[str, FileDigest] = {}
        self._digest_lock = threading.Lock()
        self._dirty = False
        self._manifest: Manifest | None = None
        self._manifest_key: str | None = None

    def __repr__(self) -> str:
        return f"S3Target({self.describe()!r}, credentials from {self._credentials.source})"

    @property
    def max_workers(self) -> int:
        return self._workers

    def describe(self) -> str:
        return self.location.describe() + (" (dedupe)" if self.dedupe else "")

    def result_info(self) -> dict[str, Any]:
        """Plain facts about where the pack went, for reports (never any credential)."""
        info: dict[str, Any] = {
            "url": self.location.url(),
            "endpoint": self.location.endpoint_url or "",
            "bucket": self.location.bucket,
            "prefix": self.location.prefix,
            "credentials_source": self._credentials.source,
            "dedupe": self.dedupe,
        }
        if self.dedupe:
            key = self._manifest_key or self.location.key(manifest_name(self._main_pack_path))
            info["manifest_key"] = key
            info["manifest_url"] = self.location.url(key)
        return info

    # -- begin -------------------------------------------------------------------------

    def begin(
        self, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> Sequence[TransferItem]:
        conn = self._connect()
        if self.dedupe:
            return self._begin_dedupe(conn, items, cancel, listener)
        return self._begin_plain(conn, items, cancel, listener)

    def _connect(self) -> S3Connection:
        if self._conn is None:
            self._conn = connect(
                self.location,
                self._credentials,
                region=self._region,
                max_pool=self._concurrency + 2,
                max_attempts=self._max_attempts,
            )
            self._manager = self._conn.transfer_manager(self._concurrency)
        return self._conn

    def _begin_plain(
        self, conn: S3Connection, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> list[TransferItem]:
        for item in items:
            if item.pack_path == INCOMPLETE_MARKER:
                raise TransferError(f"{self.describe()}: pack path {INCOMPLETE_MARKER!r} is reserved")
        remote = self._list(conn, self.location.prefix, cancel)
        candidates = [i for i in items if remote.get(i.pack_path) == i.size]
        same = self._compare_with_remote(conn, candidates, cancel, listener)
        changed = [i for i in items if i.pack_path not in same]
        if not changed:
            # A pack that failed just before commit still shows its marker: finish it.
            self._dirty = INCOMPLETE_MARKER in remote
            return []
        self._dirty = True
        self._put_bytes(conn, self.location.key(INCOMPLETE_MARKER), _MARKER_TEXT, "text/plain")
        for item in items:
            if item.is_main:
                if item.pack_path in remote:
                    self._delete(conn, self.location.key(item.pack_path))
                if item not in changed:
                    changed.append(item)
        return changed

    def _compare_with_remote(
        self, conn: S3Connection, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> set[str]:
        """Pack paths of ``items`` whose object has the same SHA-256 as the local file."""

        def check(item: TransferItem, add_bytes: Callable[[int], None]) -> bool:
            key = self.location.key(item.pack_path)
            try:
                head = conn.client.head_object(Bucket=self.location.bucket, Key=key)
            except Exception as exc:
                if str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) in ("404", "NoSuchKey"):
                    add_bytes(item.size)
                    return False  # deleted since the listing: upload it again
                raise conn.error(exc, f"reading s3://{self.location.bucket}/{key}") from exc
            remote_sha = (head.get("Metadata") or {}).get(SHA256_METADATA)
            if not remote_sha:
                add_bytes(item.size)
                return False  # uploaded by something else: no identity to compare
            digest = self._digest(item, cancel, add_bytes)
            return bool(digest.sha256 == remote_sha and digest.size == head.get("ContentLength"))

        results = run_parallel(
            items,
            check,
            workers=self._concurrency,
            cancel=cancel,
            listener=listener,
            stage=Stage.HASH,
            bytes_total=sum(i.size for i in items),
            done_message=f"compared {len(items)} files with {self.describe()}",
        )
        return {item.pack_path for item, equal in zip(items, results, strict=True) if equal}

    def _begin_dedupe(
        self, conn: S3Connection, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> list[TransferItem]:
        blobs_prefix = self.location.key(BLOBS_DIR)
        remote = self._list(conn, blobs_prefix, cancel)
        digests = run_parallel(
            items,
            lambda item, add: self._digest(item, cancel, add),
            workers=self._workers,
            cancel=cancel,
            listener=listener,
            stage=Stage.HASH,
            bytes_total=sum(i.size for i in items),
            done_message=f"hashed {len(items)} files",
        )
        main = self._main_pack_path or next((i.pack_path for i in items if i.is_main), None)
        entries: list[ManifestEntry] = []
        changed: list[TransferItem] = []
        scheduled: set[str] = set()
        for item, digest in zip(items, digests, strict=True):
            entries.append(ManifestEntry(item.pack_path, digest.size, digest.sha256))
            name = blob_name(digest.sha256, digest.size)
            if remote.get(name) == digest.size or name in scheduled:
                continue  # in the store already, or another file of this pack uploads it
            scheduled.add(name)
            changed.append(item)
        self._manifest = Manifest(main=main or "", blob_prefix=blobs_prefix + "/", files=tuple(entries))
        self._manifest_key = self.location.key(manifest_name(main))
        self._dirty = True
        return changed

    # -- send --------------------------------------------------------------------------

    def send(self, item: TransferItem, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome:
        conn = self._connect()
        digest = self._digest(item, cancel)
        if self.dedupe:
            key = self.location.key(f"{BLOBS_DIR}/{blob_name(digest.sha256, digest.size)}")
        else:
            key = self.location.key(item.pack_path)
        watcher = managed.Watcher(on_bytes, cancel)
        try:
            future = self._manager.upload(
                str(item.source),
                self.location.bucket,
                key,
                extra_args={"Metadata": {SHA256_METADATA: digest.sha256}},
                subscribers=[watcher],
            )
            managed.wait(future, watcher, cancel)
        except BatError:
            raise
        except Exception as exc:
            raise conn.error(exc, f"uploading s3://{self.location.bucket}/{key}") from exc
        if not unchanged_since(item.source, digest):
            raise TransferError(f"{item.source} changed while it was being uploaded; pack again")
        return SendOutcome.SENT

    def _digest(
        self, item: TransferItem, cancel: CancelToken, add_bytes: Callable[[int], None] | None = None
    ) -> FileDigest:
        with self._digest_lock:
            known = self._digests.get(item.pack_path)
        if known is not None:
            return known
        digest = hash_file(item.source, cancel, add_bytes)
        with self._digest_lock:
            self._digests[item.pack_path] = digest
        return digest

    # -- end ---------------------------------------------------------------------------

    def commit(self) -> None:
        conn = self._connect()
        try:
            if self.dedupe and self._manifest is not None and self._manifest_key is not None:
                data = self._manifest.to_json()
                if self._get_bytes(conn, self._manifest_key) != data:
                    self._put_bytes(conn, self._manifest_key, data, "application/json")
            elif self._dirty:
                self._delete(conn, self.location.key(INCOMPLETE_MARKER))
        finally:
            self._shutdown(cancel=False)

    def abort(self) -> None:
        # Plain: the marker stays and the main .blend is absent. Dedupe: no manifest is
        # written, and blobs already uploaded are simply reused by the next pack.
        self._shutdown(cancel=True)

    def _shutdown(self, *, cancel: bool) -> None:
        manager, self._manager = self._manager, None
        if manager is None:
            return
        # s3transfer aborts unfinished multipart uploads while shutting down; a request
        # hung on a dead connection must not hold the caller, so wait only so long.
        thread = threading.Thread(
            target=manager.shutdown, kwargs={"cancel": cancel}, name="bat-s3-shutdown", daemon=True
        )
        thread.start()
        thread.join(None if not cancel else _ABORT_GRACE_S)
        self._conn = None if cancel else self._conn

    # -- small requests ----------------------------------------------------------------

    def _list(self, conn: S3Connection, prefix: str, cancel: CancelToken) -> dict[str, int]:
        """Sizes of the objects under ``prefix/``, keyed by the rest of their key."""
        start = f"{prefix}/" if prefix else ""
        found: dict[str, int] = {}
        doing = f"listing s3://{self.location.bucket}/{start}"
        try:
            pages = conn.client.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket, Prefix=start)
            for page in pages:
                cancel.raise_if_cancelled()
                for obj in page.get("Contents", ()):
                    found[obj["Key"][len(start) :]] = int(obj["Size"])
        except BatError:
            raise
        except Exception as exc:
            raise conn.error(exc, doing) from exc
        return found

    def _put_bytes(self, conn: S3Connection, key: str, data: bytes, content_type: str) -> None:
        try:
            conn.client.put_object(Bucket=self.location.bucket, Key=key, Body=data, ContentType=content_type)
        except Exception as exc:
            raise conn.error(exc, f"writing s3://{self.location.bucket}/{key}") from exc

    def _get_bytes(self, conn: S3Connection, key: str) -> bytes | None:
        try:
            body: bytes = conn.client.get_object(Bucket=self.location.bucket, Key=key)["Body"].read()
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                return None
            raise conn.error(exc, f"reading s3://{self.location.bucket}/{key}") from exc
        return body

    def _delete(self, conn: S3Connection, key: str) -> None:
        try:
            conn.client.delete_object(Bucket=self.location.bucket, Key=key)
        except Exception as exc:
            raise conn.error(exc, f"deleting s3://{self.location.bucket}/{key}") from exc
