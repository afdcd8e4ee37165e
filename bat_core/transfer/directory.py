# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a pack to a folder on this computer (or a mounted share).

How a half-written pack is told apart from a finished one:

* While a pack is being written, the file ``.bat-incomplete`` sits in the pack root. It is
  created in ``begin`` as soon as anything will change and removed by ``commit``.
* The main .blend is deleted in ``begin`` whenever anything will change and written last
  (the engine sends main items after all others), so opening an unfinished pack in
  Blender fails loudly instead of showing missing textures.
* Every file is written to a hidden ``.bat-part-*`` name in its own folder and renamed
  over the old one only when complete, so no file is ever half-written under its real
  name; ``abort`` removes the part files of sends still running. Into a folder the run
  created itself, where there is nothing to overwrite, files other than the main .blend
  are written under their own names; ``abort`` removes those still being written, and a
  killed run leaves the marker and no main file, as above.
* Copies made before the plan was complete (``early.py``) wait in a hidden scratch folder
  and are renamed into place by ``send`` like part files.

Re-packing into the same folder writes only what changed: a file whose size and mtime
(nanoseconds, copied from the source) match is skipped; one whose size matches but mtime
differs (every rewritten .blend in the staging folder is new, and originals get touched)
is compared byte for byte and skipped when equal. Files of earlier packs that are no
longer part of the pack are left alone: the folder may hold things the user put there.

The pack never reaches outside its root: a folder on the way to a file that is a
symbolic link is refused (wherever it points), and part files are opened with
O_NOFOLLOW where the platform has it. A link swapped in by another process between
the check and the write is outside what this guards against.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import TransferError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage
from .target import BytesCallback, SendOutcome, TransferItem

if TYPE_CHECKING:
    from .early import EarlyCopies

INCOMPLETE_MARKER = ".bat-incomplete"
PART_PREFIX = ".bat-part-"

# Big enough that the kernel copy runs at disk speed, small enough that a cancel is seen
# within a few tens of milliseconds even on a slow network share.
_KERNEL_CHUNK = 16 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
_COMPARE_CHUNK = 1024 * 1024
O_BINARY = getattr(os, "O_BINARY", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
UTIME_FD = os.utime in os.supports_fd
# copy_file_range refuses some pairs (pipes, other file systems on old kernels, FUSE):
# those fall back to plain reads and writes.
_FALLBACK_ERRNOS = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF}

_MARKER_TEXT = (
    "This pack is incomplete: Blender Asset Tracer was writing it and did not finish.\n"
    "Pack again into this folder to complete it.\n"
)


class DirectoryTarget:
    """A pack written as plain files under ``root`` (created if missing)."""

    def __init__(self, root: Path, *, workers: int = 4) -> None:
        self.root = Path(os.path.abspath(root))
        # Copies made while the pack was still being planned (early.py), claimed by send().
        self.early: EarlyCopies | None = None
        self._created_root = False  # the root did not exist before this run
        self._workers = max(1, workers)
        self._root_str = str(self.root)
        self._checked_dirs: set[str] = set()  # pack-relative folders known to be real folders
        self._parts: set[str] = set()
        self._lock = threading.Lock()

    @property
    def max_workers(self) -> int:
        return self._workers

    def describe(self) -> str:
        return f"directory {self.root}"

    # -- begin -------------------------------------------------------------------------

    def begin(
        self, items: Sequence[TransferItem], cancel: CancelToken, listener: ProgressListener
    ) -> Sequence[TransferItem]:
        self.make_root()
        changed: list[TransferItem] = []
        maybe: list[tuple[TransferItem, str]] = []
        for item in items:
            cancel.raise_if_cancelled()
            if item.pack_path == INCOMPLETE_MARKER:
                raise TransferError(f"{self.describe()}: pack path {INCOMPLETE_MARKER!r} is reserved")
            dest = self.place(item.pack_path)
            if self._created_root:
                # A folder this run created holds nothing of an earlier pack: no need to look.
                source_stat(item)
                state = "changed"
            else:
                state = compare_meta(item, dest)
            if state == "changed":
                changed.append(item)
            elif state == "maybe":
                maybe.append((item, dest))
        if maybe:
            same = self._compare_contents(maybe, cancel, listener)
            changed.extend(item for (item, _), equal in zip(maybe, same, strict=True) if not equal)
        if not changed:
            return []
        self._write_marker()
        sending = {id(item) for item in changed}
        for item in items:
            if item.is_main:
                self._remove_main(item)
                if id(item) not in sending:
                    changed.append(item)
        for item in changed:
            self._make_parents(item.pack_path)
        return changed

    def _compare_contents(
        self, pairs: Sequence[tuple[TransferItem, str]], cancel: CancelToken, listener: ProgressListener
    ) -> list[bool]:
        """Byte-compare sources with their packed copies in parallel, reporting VERIFY progress."""
        lock = threading.Lock()
        done = [0]

        def count(n: int) -> None:
            with lock:
                done[0] += n

        total = sum(item.size for item, _ in pairs)
        with ThreadPoolExecutor(self._workers, thread_name_prefix="bat-compare") as pool:
            futures = [pool.submit(_same_content, item.source, dest, cancel, count) for item, dest in pairs]
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2)
                listener(
                    ProgressEvent(
                        stage=Stage.VERIFY,
                        message="" if pending else f"compared {len(pairs)} files with {self.describe()}",
                        files_done=len(futures) - len(pending),
                        files_total=len(futures),
                        bytes_done=min(done[0], total),
                        bytes_total=total,
                    )
                )
            return [f.result() for f in futures]

    def check_root(self) -> None:
        """Fail now if the root exists and is not a folder: before a trace that may take
        minutes, not after it."""
        if os.path.lexists(self.root) and not self.root.is_dir():
            raise TransferError(f"{self.describe()}: exists and is not a folder")

    def make_root(self) -> None:
        if not self._created_root and not os.path.lexists(self.root):
            try:
                self.root.mkdir(parents=True)
                self._created_root = True
            except FileExistsError:
                pass  # made meanwhile by someone else: treated like any existing folder
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise TransferError(f"{self.describe()}: exists and is not a folder") from None
        except OSError as exc:
            raise TransferError(f"{self.describe()}: cannot create the folder: {exc.strerror}") from exc
        self.check_root()

    def place(self, pack_path: str) -> str:
        """The file's path under the root, after checking no folder on the way is a link.

        Plain strings, not Path objects: for packs of many small files the pathlib
        overhead was a measurable share of the copy time.
        """
        parent, _, _ = pack_path.rpartition("/")
        if parent and parent not in self._checked_dirs:
            folder = self._root_str
            for part in parent.split("/"):
                folder = os.path.join(folder, part)
                try:
                    st = os.lstat(folder)
                except FileNotFoundError:
                    break  # created later by _make_parents, which checks again
                _require_plain_folder(Path(folder), st.st_mode, pack_path)
            else:
                self._checked_dirs.add(parent)
        return os.path.join(self._root_str, pack_path)

    def _make_parents(self, pack_path: str) -> None:
        parent = pack_path.rpartition("/")[0]
        if not parent or parent in self._checked_dirs:
            return
        folder = self._root_str
        for part in parent.split("/"):
            folder = os.path.join(folder, part)
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            except OSError as exc:
                raise TransferError(f"{self.describe()}: cannot create {folder}: {exc.strerror}") from exc
            _require_plain_folder(Path(folder), os.lstat(folder).st_mode, pack_path)
        self._checked_dirs.add(parent)

    def _write_marker(self) -> None:
        try:
            (self.root / INCOMPLETE_MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        except OSError as exc:
            what = f"{self.describe()}: cannot write {INCOMPLETE_MARKER}"
            raise TransferError(f"{what}: {exc.strerror}") from exc

    def _remove_main(self, item: TransferItem) -> None:
        dest = self.place(item.pack_path)
        try:
            st = os.lstat(dest)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            raise TransferError(f"{self.describe()}: a folder is in the way of main file {item.pack_path}")
        try:
            os.unlink(dest)
        except OSError as exc:
            raise TransferError(f"{self.describe()}: cannot remove the old {dest}: {exc.strerror}") from exc

    # -- send --------------------------------------------------------------------------

    def send(self, item: TransferItem, on_bytes: BytesCallback, cancel: CancelToken) -> SendOutcome:
        dest = self.place(item.pack_path)
        early = self.early.claim(item) if self.early is not None else None
        if early is not None:
            try:
                os.replace(early, dest)
            except BaseException:
                _unlink_quietly(early)
                raise
            on_bytes(item.size)
            return SendOutcome.SENT
        # In a folder this run created nothing can be overwritten, so files other than the main
        # one are written under their own names (a pack that stops half-way is still told by
        # the marker and the missing main file): one rename and one name fewer per file.
        direct = self._created_root and not item.is_main
        part = dest if direct else os.path.join(os.path.dirname(dest), f"{PART_PREFIX}{os.urandom(8).hex()}")

        def created() -> None:
            with self._lock:
                self._parts.add(part)

        try:
            copy_new_file(item.source, part, on_bytes, cancel, on_created=created)
            cancel.raise_if_cancelled()
            if not direct:
                os.replace(part, dest)
        except BaseException:
            with self._lock:
                ours = part in self._parts  # not when the name was taken before we could create it
            if ours:
                _unlink_quietly(part)
            raise
        finally:
            with self._lock:
                self._parts.discard(part)
        return SendOutcome.SENT

    # -- end ---------------------------------------------------------------------------

    def commit(self) -> None:
        if self.early is not None:
            self.early.close()
        try:
            os.unlink(self.root / INCOMPLETE_MARKER)
        except FileNotFoundError:
            pass
        except OSError as exc:
            what = f"{self.describe()}: cannot remove {INCOMPLETE_MARKER}"
            raise TransferError(f"{what}: {exc.strerror}") from exc

    def abort(self) -> None:
        # The marker stays and the main file is absent: the folder reads as incomplete.
        if self.early is not None:
            self.early.close()
        with self._lock:
            parts = list(self._parts)
        for part in parts:
            _unlink_quietly(part)


def _require_plain_folder(folder: Path, mode: int, pack_path: str) -> None:
    if stat.S_ISLNK(mode):
        target = os.readlink(folder)
        raise TransferError(
            f"{folder} is a symbolic link (to {target}); refusing to write {pack_path} through it, "
            "as that could put files outside the pack folder"
        )
    if not stat.S_ISDIR(mode):
        raise TransferError(f"{folder} is a file where the pack needs a folder for {pack_path}")


def source_stat(item: TransferItem) -> os.stat_result:
    try:
        return os.stat(item.source)
    except OSError as exc:
        raise TransferError(f"cannot read {item.source} (for {item.pack_path}): {exc.strerror}") from exc


def compare_meta(item: TransferItem, dest: str) -> str:
    """'same', 'changed', or 'maybe' (same size, different mtime: compare the bytes)."""
    src_st = source_stat(item)
    try:
        dst_st = os.lstat(dest)
    except FileNotFoundError:
        return "changed"
    except OSError as exc:
        raise TransferError(f"cannot inspect {dest}: {exc.strerror}") from exc
    if stat.S_ISDIR(dst_st.st_mode):
        raise TransferError(f"{dest} is a folder where the pack needs the file {item.pack_path}")
    if not stat.S_ISREG(dst_st.st_mode) or dst_st.st_size != src_st.st_size:
        return "changed"
    if dst_st.st_mtime_ns == src_st.st_mtime_ns:
        return "same"
    return "maybe"


def _same_content(a: Path, b: str, cancel: CancelToken, on_bytes: BytesCallback) -> bool:
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                cancel.raise_if_cancelled()
                chunk_a = fa.read(_COMPARE_CHUNK)
                if chunk_a != fb.read(_COMPARE_CHUNK):
                    return False
                if not chunk_a:
                    return True
                on_bytes(len(chunk_a))
    except OSError as exc:
        raise TransferError(f"cannot compare {a} with {b}: {exc.strerror}") from exc


def copy_new_file(
    source: Path,
    dest: str,
    on_bytes: BytesCallback,
    cancel: CancelToken,
    chunk: int = _KERNEL_CHUNK,
    on_created: Callable[[], None] | None = None,
) -> os.stat_result:
    """Copy ``source`` into the new file ``dest`` (never an existing one, never through a link)
    with the source's times; returns the source's stat. ``on_created`` runs once ``dest``
    exists. A copy that fails after creating ``dest`` removes it."""
    src_fd = os.open(source, os.O_RDONLY | O_BINARY)
    try:
        st = os.fstat(src_fd)
        dst_fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY, 0o666)
        try:
            if on_created is not None:
                on_created()
            try:
                copy_fd(src_fd, dst_fd, st.st_size, on_bytes, cancel, chunk)
                if UTIME_FD:
                    os.utime(dst_fd, ns=(st.st_atime_ns, st.st_mtime_ns))
            finally:
                os.close(dst_fd)
            if not UTIME_FD:
                os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
        except BaseException:
            _unlink_quietly(dest)
            raise
    finally:
        os.close(src_fd)
    return st


def copy_fd(
    src: int, dst: int, size: int, on_bytes: BytesCallback, cancel: CancelToken, chunk: int = _KERNEL_CHUNK
) -> None:
    """Copy ``src`` to ``dst`` in chunks, checking ``cancel`` between them.

    ``size`` (from fstat) lets a regular file finish without the extra call that would
    only confirm end of file; pipes and special files report 0 and are read to the end.
    """
    if hasattr(os, "copy_file_range"):
        copied = 0
        try:
            while size <= 0 or copied < size:
                cancel.raise_if_cancelled()
                n = os.copy_file_range(src, dst, chunk)
                if n == 0:
                    return
                copied += n
                on_bytes(n)
            return
        except OSError as exc:
            if exc.errno not in _FALLBACK_ERRNOS:
                raise
            # Offsets were advanced by what was copied so far: carry on from there.
    buffer = bytearray(_READ_CHUNK)
    view = memoryview(buffer)
    while True:
        cancel.raise_if_cancelled()
        n = os.readv(src, [buffer]) if hasattr(os, "readv") else _read_into(src, view)
        if n == 0:
            return
        written = 0
        while written < n:
            written += os.write(dst, view[written:n])
        on_bytes(n)


def _read_into(fd: int, view: memoryview) -> int:
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
