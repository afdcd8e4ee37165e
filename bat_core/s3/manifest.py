# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-pack manifest of content-addressed (``--s3-dedupe``) packs.

A dedupe store keeps every file's content once, as ``<prefix>/blobs/<sha256>-<size>``;
a pack is a manifest at ``<prefix>/packs/<main pack path>.json`` that maps each pack path
to its blob. The manifest is written last, so a pack whose upload did not finish has
none, and ``s3-checkout`` turns a manifest back into an ordinary pack folder.

Format (JSON object)::

    {"format": "bat-s3-pack", "version": 1, "main": "shots/010.blend",
     "blob_prefix": "prod/blobs/",
     "files": [{"path": "shots/010.blend", "size": 123, "sha256": "ab…"}, …]}

Blob keys are ``blob_prefix + f"{sha256}-{size}"``, in the manifest's own bucket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import S3Error
from ..transfer.target import check_pack_path

FORMAT = "bat-s3-pack"
VERSION = 1
BLOBS_DIR = "blobs"
PACKS_DIR = "packs"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def blob_name(sha256: str, size: int) -> str:
    return f"{sha256}-{size}"


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    size: int
    sha256: str

    @property
    def blob(self) -> str:
        return blob_name(self.sha256, self.size)


@dataclass(frozen=True)
class Manifest:
    main: str
    blob_prefix: str
    files: tuple[ManifestEntry, ...]

    def blob_key(self, entry: ManifestEntry) -> str:
        return self.blob_prefix + entry.blob

    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "main": self.main,
            "blob_prefix": self.blob_prefix,
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in self.files],
        }
        return json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8")


def manifest_name(main_pack_path: str | None) -> str:
    """Store-relative key of a pack's manifest: named after its main .blend."""
    return f"{PACKS_DIR}/{main_pack_path or 'pack'}.json"


def parse_manifest(data: bytes, where: str) -> Manifest:
    """Read and check a manifest; every problem is an S3Error naming ``where``."""
    try:
        doc: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise S3Error(f"{where} is not a BAT pack manifest (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise S3Error(f"{where} is not a BAT pack manifest (no 'format': {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise S3Error(f"{where}: manifest version {doc.get('version')!r} is not supported (expected {VERSION})")
    blob_prefix, files, main = doc.get("blob_prefix"), doc.get("files"), doc.get("main", "")
    if not isinstance(blob_prefix, str) or not isinstance(files, list) or not isinstance(main, str):
        raise S3Error(f"{where}: manifest lacks 'blob_prefix' (text) or 'files' (list)")
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for n, raw in enumerate(files):
        if not isinstance(raw, dict):
            raise S3Error(f"{where}: files[{n}] is not an object")
        path, size, sha = raw.get("path"), raw.get("size"), raw.get("sha256")
        if not isinstance(path, str) or not isinstance(size, int) or size < 0 or not isinstance(sha, str):
            raise S3Error(f"{where}: files[{n}] needs 'path' (text), 'size' (>= 0) and 'sha256'")
        if not _SHA256.match(sha):
            raise S3Error(f"{where}: files[{n}] ({path!r}) has an invalid sha256")
        try:
            check_pack_path(path)
        except Exception as exc:
            raise S3Error(f"{where}: {exc}") from None
        if path in seen:
            raise S3Error(f"{where}: {path!r} is listed twice")
        seen.add(path)
        entries.append(ManifestEntry(path, size, sha))
    return Manifest(main=main, blob_prefix=blob_prefix, files=tuple(entries))
