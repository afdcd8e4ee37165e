# SPDX-License-Identifier: GPL-3.0-or-later
"""trace(): every external file a .blend needs, through its libraries, as Blender would load them.

The main file counts as a whole. From each library only the datablocks something links (and
what those use in turn) count; ``all_library_data`` counts every datablock in every library.
Each library file is opened and walked once per run, whatever the number of links into it.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..blendfile import BlendFile, BlockHeader, StructView, open_blend
from ..errors import BlendFileError, TraceError
from ..progress import CancelToken, ProgressEvent, ProgressListener, Stage, ignore_progress
from . import expand, parallel
from .bpath import BlendPath
from .kinds import RULES_BY_STRUCT, Context, Found, PathRule, extract_all
from .model import Expansion, MissingDatablock, Owner, Reference, TraceResult
from .walk import Walker

WANTED_STRUCTS = frozenset(RULES_BY_STRUCT)


@dataclass(frozen=True)
class TraceOptions:
    all_library_data: bool = False
    # Worker processes for walking libraries side by side. Used only where forking is safe
    # (see parallel.can_fork: the command line on Linux); elsewhere libraries are walked in order.
    jobs: int = 1


@dataclass
class _Open:
    path: Path  # where Blender believes the file is (its library path)
    file: BlendFile
    walker: Walker
    walked_names: set[bytes] = field(default_factory=set)
    walked_all: bool = False
    libraries_reported: set[int] = field(default_factory=set)
    temp: Path | None = None  # a packed library unpacked for reading
    # ID name -> block index, per two-letter code: only the codes other files link are read.
    by_code: dict[bytes, dict[bytes, int]] = field(default_factory=dict)

    def find_id(self, name: bytes) -> int | None:
        code = name[:2]
        by_name = self.by_code.get(code)
        if by_name is None:
            table = self.file.blocks
            indices = table.indices_with_code(code)
            by_name = {}
            for index, found in zip(indices, self.file.id_names(indices), strict=True):
                by_name.setdefault(found, index)
            self.by_code[code] = by_name
        return by_name.get(name)


def normalize(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def resolve_stored(stored: bytes, blend_dir: Path) -> Path:
    """Where a stored path points on this machine; Windows-only paths stay as stored (with '/')."""
    bpath = BlendPath(stored)
    resolved = bpath.resolve(blend_dir)
    # resolve() already normalised it; only a relative blend folder leaves work to do.
    return resolved if bpath.is_foreign_absolute or resolved.is_absolute() else normalize(resolved)


class _Tracer:
    def __init__(
        self,
        options: TraceOptions,
        listener: ProgressListener = ignore_progress,
        cancel: CancelToken | None = None,
        jobs: int | None = None,
        on_reference: Callable[[Reference], None] | None = None,
    ) -> None:
        self.options = options
        self.listener = listener
        self.cancel = cancel
        self.on_reference = on_reference
        self.jobs = options.jobs if jobs is None else jobs
        self.open: dict[Path, _Open] = {}
        self.failed: dict[Path, str] = {}
        self.references: list[Reference] = []
        self.missing_blocks: list[MissingDatablock] = []
        self.order: dict[Path, None] = {}  # every .blend read, in order (a dict: an ordered set)
        self.temps: set[Path] = set()  # of those, packed libraries read from temporary copies
        # Libraries walked by worker processes: path -> datablock names (None: all of them).
        self.elsewhere: dict[Path, frozenset[bytes] | None] = {}
        self.walk_here: set[Path] = set()  # libraries a worker failed on

    # -- files ---------------------------------------------------------------------------------
    def _open(self, path: Path, packed_from: tuple[BlendFile, StructView] | None = None) -> _Open | None:
        hit = self.open.get(path)
        if hit is not None:
            return hit
        if path in self.failed:
            return None
        temp: Path | None = None
        try:
            if packed_from is not None:
                temp = _unpack_to_temp(*packed_from)
                bf = open_blend(temp)
            else:
                bf = open_blend(path)
        except BlendFileError as exc:
            if temp is not None:
                temp.unlink(missing_ok=True)
            self.failed[path] = str(exc)
            return None
        state = _Open(path, bf, Walker(bf, WANTED_STRUCTS), temp=temp)
        self.open[path] = state
        self.order[path] = None
        if temp is not None:
            self.temps.add(path)
        self._announce(path)
        return state

    def _announce(self, path: Path) -> None:
        self.listener(
            ProgressEvent(
                Stage.TRACE,
                message=f"reading {path.name}",
                current_file=str(path),
                files_done=len(self.order),
                files_total=len(self.order),
            )
        )

    def blends(self) -> list[Path]:
        return [p for p in self.order if p not in self.temps]

    def close(self) -> None:
        for state in self.open.values():
            state.file.close()
            if state.temp is not None:
                state.temp.unlink(missing_ok=True)

    # -- walking -------------------------------------------------------------------------------
    def run(self, main: Path) -> TraceResult:
        state = self._open(main)
        if state is None:
            raise TraceError(self.failed[main])
        queue: deque[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]] = deque()
        queue.append((main, None, None))
        while queue:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            batch = self._take_batch(queue) if parallel.can_fork(self.jobs) else []
            if batch:
                self._walk_elsewhere(batch, queue)
                continue
            path, names, packed_from = queue.popleft()
            if path in self.elsewhere:
                done = self.elsewhere[path]
                if done is None:
                    continue
                if names is not None:
                    names = names - done
                    if not names:
                        continue
            lib = self._open(path, packed_from)
            if lib is None:
                continue
            for needed_path, needed_names, packed in self._walk(lib, names):
                queue.append((needed_path, needed_names, packed))
        if self.elsewhere:
            # A library a worker walked and this process walked again for more datablocks may
            # have reached some datablocks twice.
            self.references = list(dict.fromkeys(self.references))
            self.missing_blocks = list(dict.fromkeys(self.missing_blocks))
        result = TraceResult(
            main=main,
            blends=tuple(self.blends()),
            references=tuple(self.references),
            missing_datablocks=tuple(self.missing_blocks),
            problems=tuple(why for p, why in self.failed.items() if p != main and expand.is_file(p)),
        )
        return result

    def _take_batch(
        self, queue: deque[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]]
    ) -> list[parallel.LibraryJob]:
        """Take out of the queue the libraries no process has read yet, when there are at least
        two of them to walk side by side; packed libraries stay (their bytes live here)."""
        fresh: dict[Path, set[bytes] | None] = {}
        for path, names, packed in queue:
            if packed is None and path not in self.open and path not in self.failed and path not in self.elsewhere:
                if path in self.walk_here:
                    continue
                if path in fresh:
                    known = fresh[path]
                    fresh[path] = None if known is None or names is None else known | names
                else:
                    fresh[path] = None if names is None else set(names)
        if len(fresh) < 2:
            return []
        kept = [item for item in queue if item[0] not in fresh or item[2] is not None]
        queue.clear()
        queue.extend(kept)
        return [
            parallel.LibraryJob(path, None if names is None else frozenset(names), self.options.all_library_data)
            for path, names in fresh.items()
        ]

    def _walk_elsewhere(
        self,
        batch: list[parallel.LibraryJob],
        queue: deque[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]],
    ) -> None:
        retry: list[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]] = []
        for job, result in zip(batch, parallel.walk_libraries(batch, self.jobs), strict=True):
            if result.error:
                # Walk it here instead, in order; and never hand it to a worker again.
                self.listener(
                    ProgressEvent(
                        Stage.TRACE,
                        message=f"reading {result.path.name} here: {result.error}",
                        current_file=str(result.path),
                    )
                )
                self.walk_here.add(result.path)
                retry.append((result.path, None if job.names is None else set(job.names), None))
                continue
            self.elsewhere[result.path] = job.names
            for ref in result.references:
                self._keep(ref)
            self.missing_blocks.extend(result.missing_blocks)
            self.failed.update(result.failed)
            for blend in result.blends:
                self.order.setdefault(blend, None)
                self._announce(blend)
            for needed_path, needed_names in result.needs:
                queue.append((needed_path, None if needed_names is None else set(needed_names), None))
        queue.extendleft(reversed(retry))

    def walk_one(self, path: Path, names: set[bytes] | None) -> list[tuple[Path, set[bytes] | None]]:
        """Walk one library (and the libraries packed in it); the libraries on disk it needs."""
        state = self._open(path)
        if state is None:
            return []
        out: list[tuple[Path, set[bytes] | None]] = []
        queue = deque(self._walk(state, names))
        while queue:
            needed_path, needed_names, packed = queue.popleft()
            if packed is None:
                out.append((needed_path, needed_names))
                continue
            lib = self._open(needed_path, packed)
            if lib is not None:
                queue.extend(self._walk(lib, needed_names))
        return out

    def _walk(
        self, state: _Open, names: set[bytes] | None
    ) -> list[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]]:
        bf = state.file
        roots: list[int] | None
        if names is None or self.options.all_library_data:
            if state.walked_all:
                return []
            state.walked_all = True
            roots = None
        else:
            todo = names - state.walked_names
            state.walked_names |= todo
            wanted: list[int] = []
            roots = wanted
            for name in sorted(todo):
                found_index = state.find_id(name)
                if found_index is None:
                    self.missing_blocks.append(MissingDatablock(state.path, _id_label(name), state.path))
                    continue
                wanted.append(found_index)
        before = len(state.walker.placeholders)
        owners: dict[int, tuple[Context, bytes]] = {}
        visits = state.walker.scan_all() if roots is None else state.walker.walk(roots)
        for index, owner_index in visits:
            block = bf.blocks[index]
            hit = owners.get(owner_index)
            if hit is None:
                (owner_name,) = bf.id_names([owner_index])
                ctx = Context(owner_name[2:].decode("utf-8", "replace"), state.path.stem)
                hit = owners[owner_index] = (ctx, owner_name)
            ctx, owner_name = hit
            for view in bf.views(block):
                for rule, found in extract_all(view, ctx):
                    self._keep(self._reference(state, owner_name, rule, found))
        placeholders = [bf.blocks[i] for i in state.walker.placeholders[before:]]
        return self._library_needs(state, placeholders, all_libraries=names is None)

    def _library_needs(
        self, state: _Open, placeholders: list[BlockHeader], all_libraries: bool
    ) -> list[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]]:
        bf = state.file
        needs: dict[int, set[bytes]] = {}
        for ph in placeholders:
            view = bf.view(ph, struct_name="ID")
            lib_address = view.get_pointer("lib")
            lib_block = bf.block_at(lib_address)
            if lib_block is None:
                continue
            needs.setdefault(lib_block.header_offset, set()).add(view.id_name())
        lib_blocks = (
            list(bf.blocks_with_code(b"LI"))
            if all_libraries
            else [b for b in bf.blocks_with_code(b"LI") if b.header_offset in needs]
        )
        out: list[tuple[Path, set[bytes] | None, tuple[BlendFile, StructView] | None]] = []
        for lib_block in lib_blocks:
            lib = bf.view(lib_block)
            names = needs.get(lib_block.header_offset, set())
            if lib_block.header_offset not in state.libraries_reported:
                state.libraries_reported.add(lib_block.header_offset)
                lib_name = lib.id_name()
                ctx = Context(lib_name[2:].decode("utf-8", "replace"), state.path.stem)
                for rule, found in extract_all(lib, ctx):
                    ref = self._reference(state, lib_name, rule, found)
                    self._keep(ref)
                    if ref.missing and not ref.packed:
                        for name in sorted(names):
                            self.missing_blocks.append(MissingDatablock(ref.resolved, _id_label(name), state.path))
            stored = lib.get_bytes("filepath" if lib.has("filepath") else "name")
            if not stored:
                continue
            lib_path = resolve_stored(stored, state.path.parent)
            packed = lib.has("packedfile") and lib.get_pointer("packedfile") != 0
            if not names and not self.options.all_library_data:
                continue
            request: set[bytes] | None = None if self.options.all_library_data else names
            out.append((lib_path, request, (bf, lib) if packed else None))
        return out

    # -- references ----------------------------------------------------------------------------
    def _keep(self, ref: Reference) -> None:
        self.references.append(ref)
        if self.on_reference is not None:
            self.on_reference(ref)

    def _reference(self, state: _Open, owner_name: bytes, rule: PathRule, found: Found) -> Reference:
        blend_path = state.path
        resolved = resolve_stored(found.stored, blend_path.parent)
        files: tuple[Path, ...] = ()
        sizes: tuple[int, ...] = ()
        missing = False
        if found.packed:
            pass
        elif found.anchor_only:
            missing = not expand.is_dir(resolved)
        elif found.expansion is Expansion.FILE:
            size = expand.file_size(resolved)
            if size is not None:
                files, sizes = (resolved,), (size,)
            missing = not files
        elif found.expansion is Expansion.SEQUENCE:
            files = expand.sequence_files(resolved)
            missing = not files
        elif found.expansion is Expansion.UDIM:
            files, absent = expand.udim_files(resolved, found.tiles)
            missing = bool(absent) or not files
        elif found.expansion is Expansion.DIRECTORY:
            files = expand.directory_files(resolved) if expand.is_dir(resolved) else ()
            missing = not expand.is_dir(resolved)
        elif found.expansion is Expansion.FILE_LIST:
            listed = tuple(normalize(resolved / os.fsdecode(n)) for n in found.names)
            files = tuple(p for p in listed if expand.is_file(p))
            missing = len(files) != len(listed)
        elif found.expansion is Expansion.POINT_CACHE:
            files = expand.point_cache_files(resolved, found.cache_prefix, found.cache_index)
            missing = False  # an unbaked cache is simulated, not read
        elif found.expansion is Expansion.PATTERN:
            files = expand.pattern_files(resolved, _compiled(found.pattern))
            missing = not files
        details = {}
        if found.tiles:
            details["tiles"] = ",".join(str(t) for t in found.tiles)
        if found.cache_prefix:
            details["cache_prefix"] = found.cache_prefix
        if found.computed:
            details["computed"] = "true"
        return Reference(
            blend=blend_path,
            owner=Owner(
                owner_name[:2].decode("ascii", "replace"), owner_name[2:].decode("utf-8", "replace"), blend_path
            ),
            struct=rule.struct,
            field=found.field,
            kind=rule.kind,
            stored=found.stored,
            resolved=resolved,
            expansion=found.expansion,
            files=files,
            missing=missing,
            packed=found.packed,
            location=found.location,
            anchor_only=found.anchor_only,
            details=details,
            sizes=sizes,
        )


def _id_label(name: bytes) -> str:
    """b"GRSet" -> "GR:Set", the way reports name datablocks."""
    return f"{name[:2].decode('ascii', 'replace')}:{name[2:].decode('utf-8', 'replace')}"


_PATTERNS: dict[str, object] = {}


def _compiled(pattern: str):  # type: ignore[no-untyped-def]
    import re

    hit = _PATTERNS.get(pattern)
    if hit is None:
        hit = _PATTERNS[pattern] = re.compile(pattern)
    return hit


def _unpack_to_temp(bf: BlendFile, lib: StructView) -> Path:
    """A packed library's bytes, written to a temporary file so it can be opened like any other."""
    packed = lib.deref("packedfile", "PackedFile")
    if packed is None:
        raise BlendFileError(bf.path, "packed library has no PackedFile data")
    size = packed.get("size")
    data_block = bf.block_at(packed.get_pointer("data"))
    if data_block is None or size < 0 or size > data_block.size:
        raise BlendFileError(bf.path, "packed library data is missing or has an impossible size")
    data = bf.source.read(data_block.data_offset, size)
    fd, name = tempfile.mkstemp(prefix="bat-packed-lib-", suffix=".blend")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return Path(name)


def trace(
    blend: Path | str,
    options: TraceOptions | None = None,
    listener: ProgressListener = ignore_progress,
    cancel: CancelToken | None = None,
    on_reference: Callable[[Reference], None] | None = None,
) -> TraceResult:
    """Trace `blend` and everything it uses; raises BlendFileError/TraceError for an unreadable main file.

    ``on_reference`` sees each reference as soon as it is found (a library walked twice may
    report one twice), so a caller can act on files before the whole trace is done.
    """
    main = normalize(Path(blend))
    tracer = _Tracer(options or TraceOptions(), listener, cancel, on_reference=on_reference)
    try:
        result = tracer.run(main)
    finally:
        tracer.close()
    listener(
        ProgressEvent(
            Stage.TRACE,
            message=f"traced {len(result.blends)} .blend files, {len(result.references)} references",
            files_done=len(result.blends),
            files_total=len(result.blends),
        )
    )
    return result
