# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender-side storage: per-file settings (Scene.bat_settings) and the last result
(WindowManager.bat_result, not saved in the .blend: it describes this session's last run)."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)


def _supports_blend_relative_option() -> bool:
    # Probing with StringProperty(options=...) proves nothing: Blender checks the options only
    # when the class is registered, so ask for the version that introduced the option.
    return bpy.app.version >= (4, 5, 0)


# Blender 4.5+ warns about '//' in path properties that do not declare this option; older
# versions (4.2-4.4) do not know the option at all and accept '//' anyway.
_BLEND_RELATIVE = {"PATH_SUPPORTS_BLEND_RELATIVE"} if _supports_blend_relative_option() else set()


def path_options(*extra: str) -> set[str]:
    """Options for a path property that may hold '//' (relative to the blend file)."""
    return {*_BLEND_RELATIVE, *extra}


TARGETS = [
    (
        "SHAMAN",
        "Shaman",
        "Send the pack to a Flamenco Shaman server (deduplicated upload)",
        "NETWORK_DRIVE",
        0,
    ),
    ("DIRECTORY", "Directory", "Write the pack to a folder", "FILE_FOLDER", 1),
    ("ZIP", "ZIP", "Write the pack into one .zip file", "FILE_ARCHIVE", 2),
    ("S3", "S3", "Upload the pack to S3-compatible storage", "URL", 3),
]


class BAT_PG_settings(bpy.types.PropertyGroup):  # noqa: N801 - Blender requires this naming
    """What the N-panel edits; the operators use these unless their own properties are set."""

    target: EnumProperty(name="Target", items=TARGETS, default="SHAMAN")  # type: ignore[valid-type]
    shaman_checkout: StringProperty(  # type: ignore[valid-type]
        name="Checkout Path",
        description="Where the pack appears on the Shaman server (empty: the core picks one)",
    )
    directory: StringProperty(name="Directory", subtype="DIR_PATH", options=path_options())  # type: ignore[valid-type]
    zip_path: StringProperty(name="ZIP File", subtype="FILE_PATH", options=path_options())  # type: ignore[valid-type]
    s3_path: StringProperty(  # type: ignore[valid-type]
        name="S3 Path", description="Key prefix inside the bucket set in the preferences"
    )
    project_root: StringProperty(  # type: ignore[valid-type]
        name="Project Root",
        description="Folder whose layout the pack keeps (empty: the preference, else the blend's folder)",
        subtype="DIR_PATH",
        options=path_options(),
    )
    exclude: StringProperty(  # type: ignore[valid-type]
        name="Exclude", description="Glob patterns of files to leave out, separated by ';'"
    )
    relative_only: BoolProperty(  # type: ignore[valid-type]
        name="Relative Only", description="Pack only files referenced with relative paths"
    )
    dry_run: BoolProperty(name="Dry Run", description="Trace and plan, but write and send nothing")  # type: ignore[valid-type]
    strict: BoolProperty(name="Strict", description="Fail when any referenced file is missing")  # type: ignore[valid-type]
    verify: BoolProperty(name="Verify", description="Check the pack after sending it")  # type: ignore[valid-type]


class BAT_PG_dependency(bpy.types.PropertyGroup):  # noqa: N801 - Blender requires this naming
    category: StringProperty()  # type: ignore[valid-type]
    path: StringProperty()  # type: ignore[valid-type]
    owner: StringProperty()  # type: ignore[valid-type]


class BAT_PG_result(bpy.types.PropertyGroup):  # noqa: N801 - Blender requires this naming
    """The last job's outcome, for the N-panel and the JSON export."""

    status: EnumProperty(  # type: ignore[valid-type]
        items=[
            ("NONE", "None", ""),
            ("RUNNING", "Running", ""),
            ("OK", "Done", ""),
            ("WARNING", "Done with warnings", ""),
            ("CANCELLED", "Cancelled", ""),
            ("FAILED", "Failed", ""),
        ],
        default="NONE",
    )
    operation: StringProperty()  # type: ignore[valid-type]
    message: StringProperty()  # type: ignore[valid-type]
    target: StringProperty()  # type: ignore[valid-type]
    checkout_path: StringProperty()  # type: ignore[valid-type]
    main_blend_in_pack: StringProperty()  # type: ignore[valid-type]
    dry_run: BoolProperty()  # type: ignore[valid-type]
    files_total: IntProperty()  # type: ignore[valid-type]
    # Byte counts can pass 2 GiB; IntProperty is 32-bit, so they are kept as text.
    bytes_total: StringProperty()  # type: ignore[valid-type]
    uploaded_files: IntProperty()  # type: ignore[valid-type]
    uploaded_bytes: StringProperty()  # type: ignore[valid-type]
    dependencies: CollectionProperty(type=BAT_PG_dependency)  # type: ignore[valid-type]
    report_json: StringProperty()  # type: ignore[valid-type]


CLASSES = (BAT_PG_settings, BAT_PG_dependency, BAT_PG_result)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.bat_settings = PointerProperty(type=BAT_PG_settings)
    bpy.types.WindowManager.bat_result = PointerProperty(type=BAT_PG_result)


def unregister() -> None:
    for owner, name in ((bpy.types.WindowManager, "bat_result"), (bpy.types.Scene, "bat_settings")):
        if hasattr(owner, name):
            delattr(owner, name)
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
