# SPDX-License-Identifier: GPL-3.0-or-later
"""Receiving one upload body into the store, the strict way or the Flamenco 3 way.

Both return the status to answer; the request handler writes it. Bodies always go to disk
in pieces, never whole into memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .body import BodyReader, ClientGoneError
from .config import StatsCounter
from .http_error import HttpError
from .identity import FileIdentity
from .store import FileState, FileStore, Receiver


@dataclass(frozen=True)
class Outcome:
    status: int
    # True when the rest of the body must not be read: the connection is closed instead.
    close_connection: bool = False


def early_answer(store: FileStore, identity: FileIdentity, can_defer: bool) -> int | None:
    """208 when stored, 425 when someone uploads it and the client can come back later."""
    state = store.state(identity)
    if state is FileState.STORED:
        return 208
    if state is FileState.UPLOADING and can_defer:
        return 425
    return None


def verify(identity: FileIdentity, received: int, checksum: str) -> None:
    # Size first: a short body would also fail the checksum, but the size says why.
    if received != identity.size:
        raise HttpError(417, f"file size mismatched, declared {identity.size} but received {received} bytes")
    if checksum != identity.checksum:
        raise HttpError(417, f"file SHA256 mismatched, declared {identity.checksum} but received {checksum}")


def receive_streaming(
    store: FileStore,
    body: BodyReader,
    identity: FileIdentity,
    can_defer: bool,
    connection: socket.socket,
    stats: StatsCounter,
) -> Outcome:
    """Strict mode: decide before reading; stream into a temp file; stop when beaten.

    When a parallel upload of the same file is stored first, it shuts the read side of our
    socket; the read then ends early and we answer 208 without reading the rest.
    """
    early = early_answer(store, identity, can_defer)
    if early is not None:
        return Outcome(early)

    def cut_off() -> None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RD)

    receiver = Receiver(identity, cut_off)
    temp = store.create_temp(identity)
    store.register(receiver)
    stored = False
    try:
        hasher = hashlib.sha256()
        try:
            while chunk := body.read():
                hasher.update(chunk)
                temp.file.write(chunk)
        except (ClientGoneError, OSError):
            receiver.finished_reading()
            if receiver.was_cut_off:
                stats.add("uploads_cut_off")
                return Outcome(208, close_connection=True)
            raise
        receiver.finished_reading()
        temp.file.close()
        verify(identity, body.bytes_read, hasher.hexdigest())
        store.store_temp(temp, identity)
        stored = True
        stats.add("files_stored")
        store.announce_stored(receiver)
    finally:
        store.unregister(receiver)
        if not stored:
            store.discard_temp(temp)
    # A cut-off that came just after our body ended still shut our read side.
    return Outcome(204, close_connection=receiver.was_cut_off)


def receive_buffered(
    store: FileStore,
    body: BodyReader,
    identity: FileIdentity,
    can_defer: bool,
    spool_dir: Path,
    stats: StatsCounter,
) -> Outcome:
    """f3-compat: receive the whole body first (F3's request validator buffers it), then decide.

    The body is spooled to disk rather than RAM; what a client observes is the same: no
    early 425/208, no cut-off, "uploading" only while the received copy is being stored,
    400 for an empty body, and 200 (not 204) on success.
    """
    spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        hasher = hashlib.sha256()
        while chunk := body.read():
            hasher.update(chunk)
            spool.write(chunk)
        if body.bytes_read == 0:
            raise HttpError(400, "request body has an error: value is required but missing", before_handler=True)
        early = early_answer(store, identity, can_defer)
        if early is not None:
            return Outcome(early)
        temp = store.create_temp(identity)
        stored = False
        try:
            spool.seek(0)
            shutil.copyfileobj(spool, temp.file)
            temp.file.close()
            verify(identity, body.bytes_read, hasher.hexdigest())
            store.store_temp(temp, identity)
            stored = True
            stats.add("files_stored")
        finally:
            if not stored:
                store.discard_temp(temp)
    # F3's handler writes nothing on success, so Echo sends 200 with an empty body.
    return Outcome(200)
