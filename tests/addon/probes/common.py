# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for probe scripts: run inside a fresh Python that imports bpy (real Blender)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import bpy

REPO_NAME = "user_default"
EXT_ID = "blender_asset_tracer"
PKG = f"bl_ext.{REPO_NAME}.{EXT_ID}"


def install(zip_path: str) -> None:
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo=REPO_NAME, enable_on_install=True)
    assert result == {"FINISHED"}, result


def module(name: str) -> Any:
    return sys.modules[f"{PKG}.{name}"]


def run_operator(name: str, **props: Any) -> dict[str, Any]:
    """Call bpy.ops.bat.<name>; record what it returned or raised, how long it took, and the
    result it left in the window manager."""
    operator = getattr(bpy.ops.bat, name)
    began = time.monotonic()
    try:
        outcome: dict[str, Any] = {"returned": sorted(operator(**props))}
    except RuntimeError as ex:
        outcome = {"raised": str(ex)}
    outcome["seconds"] = round(time.monotonic() - began, 2)
    result = bpy.context.window_manager.bat_result
    outcome["result"] = {
        "status": result.status,
        "message": result.message,
        "target": result.target,
        "checkout_path": result.checkout_path,
        "main_blend_in_pack": result.main_blend_in_pack,
        "files_total": result.files_total,
        "uploaded_files": result.uploaded_files,
        "uploaded_bytes": int(result.uploaded_bytes or 0),
        "dependencies": [(d.category, d.path, d.owner) for d in result.dependencies],
        "missing": [d.path for d in result.dependencies if d.category == "missing"],
    }
    return outcome


def emit(facts: dict[str, Any]) -> None:
    Path(os.environ["BAT_PROBE_OUT"]).write_text(json.dumps(facts, indent=1, default=str), encoding="utf-8")


def bat_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("BAT")]


class RecordingLayout:
    """Stands in for bpy.types.UILayout where no window exists (background mode).

    Every call is recorded and checked against Blender's real UILayout RNA: the function must
    exist and every keyword must be one of its parameters. ``prop`` also checks that the data
    has the property, ``operator`` that the operator is registered, ``menu`` that the menu is.
    Calls that return a sub-layout (row, column, box, ...) share this recorder.
    """

    def __init__(self, calls: list[dict[str, Any]] | None = None, problems: list[str] | None = None) -> None:
        object.__setattr__(self, "calls", [] if calls is None else calls)
        object.__setattr__(self, "problems", [] if problems is None else problems)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in bpy.types.UILayout.bl_rna.properties:
            self.problems.append(f"UILayout has no property {name!r}")
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        functions = bpy.types.UILayout.bl_rna.functions
        if name not in functions:
            raise AttributeError(f"UILayout has no function {name!r}")
        params = {p.identifier for p in functions[name].parameters}

        def call(*args: Any, **kwargs: Any) -> Any:
            unknown = set(kwargs) - params
            if unknown:
                self.problems.append(f"UILayout.{name}() has no parameter(s) {sorted(unknown)}")
            record: dict[str, Any] = {"fn": name, "kwargs": {k: _plain(v) for k, v in kwargs.items()}}
            if name == "prop":
                data, prop = args[0], args[1]
                record["prop"] = prop
                if prop not in data.bl_rna.properties:
                    self.problems.append(f"{data.bl_rna.identifier} has no property {prop!r}")
            elif name == "operator":
                idname = args[0]
                record["operator"] = idname
                group, _, op = idname.partition(".")
                try:
                    getattr(getattr(bpy.ops, group), op).get_rna_type()
                except (AttributeError, KeyError):
                    self.problems.append(f"operator {idname!r} is not registered")
            elif name == "menu":
                record["menu"] = args[0]
                if not hasattr(bpy.types, args[0]):
                    self.problems.append(f"menu {args[0]!r} is not registered")
            self.calls.append(record)
            returns = [p for p in functions[name].parameters if p.is_output]
            if returns and returns[0].identifier == "layout":
                return RecordingLayout(self.calls, self.problems)
            return None

        return call


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


class Drawer:
    """The ``self`` a draw function receives: something with a layout."""

    def __init__(self) -> None:
        self.layout = RecordingLayout()


def draw(fn: Any, context: Any = None) -> RecordingLayout:
    drawer = Drawer()
    fn(drawer, context or bpy.context)
    return drawer.layout


class Event:
    """A synthetic window-manager event: only the fields the modal handler reads."""

    def __init__(self, type: str, value: str = "NOTHING") -> None:
        self.type = type
        self.value = value


class RecordingOperator:
    """The ``self`` of a modal operator whose modal() is driven directly (no window in
    background mode): it records reports the way Operator.report would show them."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.reports: list[tuple[str, str]] = []
        self._timer = None

    def report(self, kinds: set[str], message: str) -> None:
        self.reports.append((next(iter(kinds)), message))


def make_production(folder: Path) -> Path:
    """A real .blend saved by Blender using three images: one next to it (relative path), one
    missing, and one outside the folder by absolute path. Writes ``shot.deps.json``, what
    Blender itself says the file uses, for the stand-in core."""
    textures = folder / "textures"
    textures.mkdir(parents=True, exist_ok=True)
    library = folder.parent / "library"
    library.mkdir(exist_ok=True)
    images = []
    for name, disk, stored in [
        ("brick", textures / "brick.png", "//textures/brick.png"),
        ("sky", library / "sky.png", str(library / "sky.png")),
    ]:
        image = bpy.data.images.new(name, 8, 8)
        image.filepath_raw = str(disk)
        image.file_format = "PNG"
        image.save()
        image.filepath = stored
        images.append(image)
    gone = bpy.data.images.new("gone", 4, 4)
    gone.source = "FILE"
    gone.filepath = "//textures/gone.png"
    images.append(gone)
    for image in images:
        image.use_fake_user = True
    blend = folder / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), relative_remap=False)
    deps = [{"path": img.filepath, "owner": f"IM{img.name}"} for img in bpy.data.images if img.filepath]
    blend.with_suffix(".deps.json").write_text(json.dumps(deps), encoding="utf-8")
    return blend


class Recorder:
    """Wraps the core's pack(): records which settings reached it, then does the real work."""

    def __init__(self) -> None:
        self.api = importlib.import_module(f"{PKG}.bat_core.api")
        self.real_pack = self.api.pack
        self.calls: list[dict[str, Any]] = []
        self.api.pack = self.pack

    def pack(self, options: Any, listener: Any, cancel: Any) -> Any:
        fields = ("blend", "target", "project", "exclude", "noop", "strict", "cache_dir", "shaman_token",
                  "s3_endpoint", "s3_region", "s3_access_key", "s3_secret_key")  # fmt: skip
        self.calls.append({name: _option(getattr(options, name)) for name in fields})
        return self.real_pack(options, listener, cancel)

    def take(self) -> list[dict[str, Any]]:
        calls, self.calls = self.calls, []
        return calls


def _option(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_option(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
