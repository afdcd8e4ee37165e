# SPDX-License-Identifier: GPL-3.0-or-later
"""The pack operators: Shaman, directory, ZIP and S3. Each reads its properties, the scene's
BAT settings and the preferences into a PackRequest and hands it to the core."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import bpy
from bpy.props import BoolProperty, StringProperty

from ..ui import preferences
from ..ui.properties import path_options
from ._errors import AddonError
from .base import JobOperator, abspath, environment, explicit, flag, require_online, setting
from .core_calls import PackRequest, pack_work
from .runner import Work
from .settings import Secrets, resolve, s3_target, shaman_target, split_patterns, zip_target


class PackOperator(JobOperator):
    """Properties every pack shares; unset ones fall back to the N-panel settings."""

    project: StringProperty(  # type: ignore[valid-type]
        name="Project Root", subtype="DIR_PATH", options=path_options("SKIP_SAVE"),
        description="Folder whose layout the pack keeps (default: BAT panel, then preferences)",
    )  # fmt: skip
    exclude: StringProperty(  # type: ignore[valid-type]
        name="Exclude", options={"SKIP_SAVE"}, description="Glob patterns to leave out, separated by ';'"
    )
    relative_only: BoolProperty(name="Relative Only", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    noop: BoolProperty(name="Dry Run", options={"SKIP_SAVE"}, description="Write and send nothing")  # type: ignore[valid-type]
    compress: BoolProperty(name="Compress", options={"SKIP_SAVE"}, description="Compress rewritten blend files")  # type: ignore[valid-type]
    strict: BoolProperty(name="Strict", options={"SKIP_SAVE"}, description="Fail when a referenced file is missing")  # type: ignore[valid-type]
    verify: BoolProperty(name="Verify", options={"SKIP_SAVE"}, description="Check the pack after sending it")  # type: ignore[valid-type]

    network: ClassVar[bool] = False

    def target(self, context: Any) -> tuple[str, dict[str, Any]]:
        """The core's target string and any extra PackRequest fields (endpoints, credentials)."""
        raise NotImplementedError

    def build_work(self, context: Any, blend: Path) -> tuple[Work, Secrets]:
        scene = context.scene.bat_settings
        target, extra = self.target(context)
        noop = flag(self, "noop", scene.dry_run)
        if self.network and not noop:
            require_online(target.split("#", 1)[0])
        prefs = preferences.get(context)
        cache = setting(context, self, "cache_dir") or preferences.default_cache_dir()
        project = resolve(
            "project_root",
            explicit=explicit(self, "project"),
            scene=scene.project_root,
            preference=prefs.project_root if prefs is not None else "",
            env=environment(),
        )
        request = PackRequest(
            operation=self.operation,
            blend=blend,
            target=target,
            project=abspath(project),
            exclude=split_patterns(explicit(self, "exclude") or scene.exclude),
            relative_only=flag(self, "relative_only", scene.relative_only),
            noop=noop,
            compress=flag(self, "compress", False),
            strict=flag(self, "strict", scene.strict),
            verify=flag(self, "verify", scene.verify),
            cache_dir=abspath(cache),
            **extra,
        )
        return pack_work(request), request.secrets

    def draw_dialog(self, context: Any, layout: Any) -> None:
        for name in self.dialog_props:
            layout.prop(self, name)

    dialog_props: ClassVar[tuple[str, ...]] = ()


def _or_none(value: str) -> str | None:
    return value or None


class BAT_OT_pack_send_shaman(PackOperator, bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Pack this blend file with everything it uses and send it to a Shaman server"""

    bl_idname = "bat.pack_send_shaman"
    bl_label = "Pack & Send to Shaman"
    operation = "shaman"
    title = "Pack & Send to Shaman"
    network = True
    dialog_props = ("shaman_url", "checkout_path")

    shaman_url: StringProperty(  # type: ignore[valid-type]
        name="Shaman URL", options={"SKIP_SAVE"},
        description="Server to send to, e.g. http://flamenco:8080/ (default: preferences, BAT_SHAMAN_URL)",
    )  # fmt: skip
    checkout_path: StringProperty(  # type: ignore[valid-type]
        name="Checkout Path", options={"SKIP_SAVE"},
        description="Where the pack appears on the server (default: the BAT panel)",
    )  # fmt: skip

    def missing_location(self, context: Any) -> bool:
        return not setting(context, self, "shaman_url")

    def target(self, context: Any) -> tuple[str, dict[str, Any]]:
        url = setting(context, self, "shaman_url")
        checkout = explicit(self, "checkout_path") or context.scene.bat_settings.shaman_checkout
        token = setting(context, self, "shaman_token")
        return shaman_target(url, checkout), {"shaman_token": _or_none(token)}


class BAT_OT_pack_directory(PackOperator, bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Pack this blend file with everything it uses into a folder"""

    bl_idname = "bat.pack_directory"
    bl_label = "Pack to Directory"
    operation = "directory"
    title = "Pack to Directory"
    dialog_props = ("directory",)

    directory: StringProperty(name="Directory", subtype="DIR_PATH", options=path_options("SKIP_SAVE"))  # type: ignore[valid-type]

    def _location(self, context: Any) -> str:
        return explicit(self, "directory") or context.scene.bat_settings.directory

    def missing_location(self, context: Any) -> bool:
        return not self._location(context)

    def target(self, context: Any) -> tuple[str, dict[str, Any]]:
        location = self._location(context)
        if not location:
            raise AddonError("No target directory given: set it in the BAT panel or the operator's directory")
        path = abspath(location)
        assert path is not None
        if path.suffix.lower() == ".zip":
            raise AddonError(f"{path}: a directory target must not end in .zip; use Pack to ZIP")
        return str(path), {}


class BAT_OT_pack_zip(PackOperator, bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Pack this blend file with everything it uses into one ZIP file"""

    bl_idname = "bat.pack_zip"
    bl_label = "Pack to ZIP"
    operation = "zip"
    title = "Pack to ZIP"
    dialog_props = ("filepath",)

    filepath: StringProperty(name="ZIP File", subtype="FILE_PATH", options=path_options("SKIP_SAVE"))  # type: ignore[valid-type]

    def _location(self, context: Any) -> str:
        return explicit(self, "filepath") or context.scene.bat_settings.zip_path

    def missing_location(self, context: Any) -> bool:
        return not self._location(context)

    def target(self, context: Any) -> tuple[str, dict[str, Any]]:
        location = zip_target(self._location(context))
        return str(abspath(location)), {}


class BAT_OT_pack_s3(PackOperator, bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Pack this blend file with everything it uses and upload it to S3-compatible storage"""

    bl_idname = "bat.pack_s3"
    bl_label = "Pack to S3"
    operation = "s3"
    title = "Pack to S3"
    network = True
    dialog_props = ("bucket", "path", "endpoint")

    bucket: StringProperty(name="Bucket", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    path: StringProperty(name="Path", options={"SKIP_SAVE"}, description="Key prefix inside the bucket")  # type: ignore[valid-type]
    endpoint: StringProperty(name="Endpoint", options={"SKIP_SAVE"}, description="S3 endpoint URL")  # type: ignore[valid-type]
    region: StringProperty(name="Region", options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def missing_location(self, context: Any) -> bool:
        return not setting(context, self, "bucket", pref_attr="s3_bucket")

    def target(self, context: Any) -> tuple[str, dict[str, Any]]:
        bucket = setting(context, self, "bucket", pref_attr="s3_bucket")
        path = explicit(self, "path") or context.scene.bat_settings.s3_path
        extra = {
            "s3_endpoint": _or_none(setting(context, self, "endpoint", pref_attr="s3_endpoint")),
            "s3_region": _or_none(setting(context, self, "region", pref_attr="s3_region")),
            "s3_access_key": _or_none(setting(context, self, "s3_access_key")),
            "s3_secret_key": _or_none(setting(context, self, "s3_secret_key")),
        }
        return s3_target(bucket, path), extra


CLASSES = (BAT_OT_pack_send_shaman, BAT_OT_pack_directory, BAT_OT_pack_zip, BAT_OT_pack_s3)
