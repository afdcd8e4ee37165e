# SPDX-License-Identifier: GPL-3.0-or-later
"""File menu: "Pack & Send to Shaman", and a submenu for the other targets and the check."""

from __future__ import annotations

from typing import Any

import bpy


class BAT_MT_pack_targets(bpy.types.Menu):  # noqa: N801 - Blender requires this naming
    bl_idname = "BAT_MT_pack_targets"
    bl_label = "Pack with BAT"

    def draw(self, context: Any) -> None:
        draw_targets(self.layout)


def draw_targets(layout: Any) -> None:
    layout.operator("bat.pack_directory", text="Pack to Directory…", icon="FILE_FOLDER")
    layout.operator("bat.pack_zip", text="Pack to ZIP…", icon="FILE_ARCHIVE")
    layout.operator("bat.pack_s3", text="Pack to S3…", icon="URL")
    layout.separator()
    layout.operator("bat.check_dependencies", text="Check Dependencies", icon="VIEWZOOM")


def draw_file_menu(self: Any, context: Any) -> None:
    layout = self.layout
    layout.separator()
    layout.operator("bat.pack_send_shaman", text="Pack & Send to Shaman", icon="NETWORK_DRIVE")
    layout.menu(BAT_MT_pack_targets.bl_idname, icon="PACKAGE")


CLASSES = (BAT_MT_pack_targets,)


def register() -> None:
    bpy.types.TOPBAR_MT_file.append(draw_file_menu)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file.remove(draw_file_menu)
