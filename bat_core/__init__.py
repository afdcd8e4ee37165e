# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender Asset Tracer core: read .blend files, trace their dependencies, pack and send them.

Pure Python; never imports bpy, so it runs inside Blender, as a CLI and in tests alike.
"""

__version__ = "0.1.0"
