# SPDX-License-Identifier: GPL-3.0-or-later
"""Test productions built by real Blender (bpy), with Blender's own dependency answer.

``python -m blendgen.make OUTDIR [KIND ...]`` builds them (bpy runs in child processes);
:mod:`blendgen.production` reads the resulting ``expected.json`` files without bpy.
"""
