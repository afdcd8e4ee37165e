# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: servers, credentials, defaults. Each one can also come from the
environment (see operators/settings.py for the names and the precedence)."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, StringProperty

from ..operators.settings import ENVIRONMENT

# The extension's own package ("bl_ext.<repo>.blender_asset_tracer"): preferences are keyed by it.
ADDON_PACKAGE = (__package__ or "").rpartition(".")[0]


def env_hint(name: str) -> str:
    bat_var, generic = ENVIRONMENT[name]
    names = " or ".join((bat_var, *generic))
    return f" (environment: {names})"


class BAT_AP_preferences(bpy.types.AddonPreferences):  # noqa: N801 - Blender requires this naming
    bl_idname = ADDON_PACKAGE

    shaman_url: StringProperty(  # type: ignore[valid-type]
        name="Shaman URL",
        description="Flamenco Manager / Shaman server, e.g. http://flamenco.local:8080/" + env_hint("shaman_url"),
    )
    shaman_token: StringProperty(  # type: ignore[valid-type]
        name="Shaman Token",
        description="Optional bearer token for the Shaman server" + env_hint("shaman_token"),
        subtype="PASSWORD",
    )
    s3_endpoint: StringProperty(  # type: ignore[valid-type]
        name="S3 Endpoint",
        description="Endpoint URL of S3-compatible storage; empty for AWS" + env_hint("s3_endpoint"),
    )
    s3_region: StringProperty(name="S3 Region", description="Region" + env_hint("s3_region"))  # type: ignore[valid-type]
    s3_bucket: StringProperty(name="S3 Bucket", description="Bucket" + env_hint("s3_bucket"))  # type: ignore[valid-type]
    s3_access_key: StringProperty(  # type: ignore[valid-type]
        name="S3 Access Key", description="Access key ID" + env_hint("s3_access_key")
    )
    s3_secret_key: StringProperty(  # type: ignore[valid-type]
        name="S3 Secret Key", description="Secret access key" + env_hint("s3_secret_key"), subtype="PASSWORD"
    )
    project_root: StringProperty(  # type: ignore[valid-type]
        name="Default Project Root",
        description="Used when a file's BAT settings name no project root" + env_hint("project_root"),
        subtype="DIR_PATH",
    )
    cache_dir: StringProperty(  # type: ignore[valid-type]
        name="Checksum Cache",
        description="Where checksums of packed files are cached (empty: the extension's user folder)"
        + env_hint("cache_dir"),
        subtype="DIR_PATH",
    )
    unsaved_policy: EnumProperty(  # type: ignore[valid-type]
        name="Unsaved Changes",
        description="What to do when the blend file has unsaved changes (packs are made from the saved file)",
        items=[
            ("SAVE", "Save First", "Save the file, then pack it"),
            ("ASK", "Ask", "Ask before saving; in batch mode this refuses"),
            ("REFUSE", "Refuse", "Refuse to pack until the file is saved"),
        ],
        default="ASK",
    )

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.use_property_split = True
        box = layout.box()
        box.label(text="Shaman", icon="NETWORK_DRIVE")
        box.prop(self, "shaman_url")
        box.prop(self, "shaman_token")
        box = layout.box()
        box.label(text="S3-Compatible Storage", icon="URL")
        for name in ("s3_endpoint", "s3_region", "s3_bucket", "s3_access_key", "s3_secret_key"):
            box.prop(self, name)
        box = layout.box()
        box.label(text="Packing", icon="PACKAGE")
        box.prop(self, "project_root")
        box.prop(self, "cache_dir")
        box.prop(self, "unsaved_policy")
        col = layout.column(align=True)
        col.label(text="BAT_SHAMAN_URL, BAT_SHAMAN_TOKEN, BAT_S3_*, BAT_PROJECT_ROOT and BAT_CACHE_DIR", icon="INFO")
        col.label(text="override these settings; AWS_* variables fill in only what is empty here.")


def get(context: Any) -> Any:
    """This add-on's preferences, or None if the add-on is not enabled under its package."""
    addon = context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences if addon is not None else None


def default_cache_dir() -> str:
    return str(bpy.utils.extension_path_user(ADDON_PACKAGE, path="checksum-cache", create=True))


CLASSES = (BAT_AP_preferences,)
