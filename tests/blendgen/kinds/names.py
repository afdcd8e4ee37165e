# SPDX-License-Identifier: GPL-3.0-or-later
"""Every kind the generator can build, in build order (importable without bpy)."""

from __future__ import annotations

KIND_NAMES: tuple[str, ...] = (
    "image_single",
    "image_movie",
    "image_sequence",
    "image_udim",
    "image_packed",
    "missing",
    "libraries",
    "library_chain",
    "library_packed",
    "world_image",
    "compositor_image",
    "camera_background",
    "legacy_texture",
    "sound",
    "speaker",
    "movieclip",
    "vfont",
    "text_external",
    "osl_script",
    "ies",
    "alembic",
    "usd",
    "mesh_cache",
    "multires",
    "volume",
    "ocean",
    "point_cache",
    "point_cache_external",
    "fluid",
    "gn_bake",
    "gn_import",
    "sequencer",
)
