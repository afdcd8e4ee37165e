# SPDX-License-Identifier: GPL-3.0-or-later
"""Sounds, speakers, movie clips, fonts, external texts, OSL scripts and IES profiles."""

from __future__ import annotations

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def sound(rec: Recorder) -> None:
    assets.wav(rec.path("audio/tone.wav"))
    assets.wav(rec.path("audio/abs_tone.wav"))
    blender.new_main(rec, "shot.blend")
    s = bpy.data.sounds.load("//audio/tone.wav")
    s.use_fake_user = True
    a = bpy.data.sounds.load(str(rec.root / "audio/abs_tone.wav"))
    a.use_fake_user = True
    blender.save()
    rec.note("Two bSound datablocks (fake users), one relative and one absolute path.")


def speaker(rec: Recorder) -> None:
    assets.wav(rec.path("audio/hum.wav"))
    blender.new_main(rec, "shot.blend")
    spk = bpy.data.speakers.new("Speaker")
    spk.sound = bpy.data.sounds.load("//audio/hum.wav")
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Speaker", spk))
    blender.save()
    rec.note("Speaker object whose sound is an external WAV.")


def movieclip(rec: Recorder) -> None:
    assets.movie(rec.path("clips/plate.mp4"))
    folder = rec.path("clips/seq/x").parent
    frames = assets.png_frames(folder, "track.{:04d}.png", [1, 2, 3])
    rec.decoy(assets.png(folder / "track_preview.png"), assets.png(folder / "track.0001.png.bak"))
    blender.new_main(rec, "shot.blend")
    movie = bpy.data.movieclips.load("//clips/plate.mp4")
    movie.use_fake_user = True
    seq = bpy.data.movieclips.load("//clips/seq/track.0001.png")
    seq.use_fake_user = True
    if seq.source != "SEQUENCE":
        raise AssertionError(f"movie clip from numbered images has source {seq.source}")
    blender.save()
    rec.expand(frames[0], frames)
    rec.note("MovieClip of a movie file and MovieClip of an image sequence (source SEQUENCE).")


def vfont(rec: Recorder) -> None:
    font = assets.font(rec.path("fonts/title.ttf"))
    blender.new_main(rec, "shot.blend")
    curve = bpy.data.curves.new("Title", "FONT")
    curve.body = "BAT"
    curve.font = bpy.data.fonts.load(f"//fonts/{font.name}")
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Title", curve))
    blender.save()
    rec.note("Text object using an external VFont; the built-in <builtin> font is not a file.")


def text_external(rec: Recorder) -> None:
    script = assets.text(rec.path("scripts/rig_ui.py"), "print('hello from an external text')\n")
    blender.new_main(rec, "shot.blend")
    t = bpy.data.texts.load(str(script), internal=False)
    t.filepath = "//scripts/rig_ui.py"
    t.use_fake_user = True
    internal = bpy.data.texts.new("notes.txt")
    internal.write("in memory only\n")
    blender.save()
    rec.note("One Text datablock backed by a file, one held in memory only (not a dependency).")


def osl_script(rec: Recorder) -> None:
    assets.text(rec.path("shaders/checker.osl"), assets.OSL)
    blender.new_main(rec, "shot.blend")
    mat = bpy.data.materials.new("OSL")
    mat.use_nodes = True
    node = mat.node_tree.nodes.new("ShaderNodeScript")
    node.mode = "EXTERNAL"
    node.filepath = "//shaders/checker.osl"
    internal = mat.node_tree.nodes.new("ShaderNodeScript")
    internal.mode = "INTERNAL"
    internal.script = bpy.data.texts.new("inline.osl")
    blender.cube("Shaded").data.materials.append(mat)
    assets.text(rec.path("shaders/lens.osl"), assets.OSL_CAMERA)
    cam = bpy.data.cameras.new("Lens")
    cam.type = "CUSTOM"
    cam.custom_mode = "EXTERNAL"
    cam.custom_filepath = "//shaders/lens.osl"
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Lens", cam))
    blender.save()
    rec.note(
        "Script node in EXTERNAL mode (file), one in INTERNAL mode (a Text in memory), and a "
        "custom (OSL) camera in EXTERNAL mode (Camera.custom_filepath)."
    )


def packed_other(rec: Recorder) -> None:
    assets.wav(rec.path("audio/packed.wav"))
    font = assets.font(rec.path("fonts/packed.ttf"))
    assets.wav(rec.path("audio/loose.wav"))
    blender.new_main(rec, "shot.blend")
    snd = bpy.data.sounds.load("//audio/packed.wav")
    snd.pack()
    snd.use_fake_user = True
    loose = bpy.data.sounds.load("//audio/loose.wav")
    loose.use_fake_user = True
    curve = bpy.data.curves.new("Title", "FONT")
    curve.font = bpy.data.fonts.load(f"//fonts/{font.name}")
    curve.font.pack()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Title", curve))
    blender.save()
    rec.packed(rec.root / "audio/packed.wav", font)
    rec.note("A packed sound and a packed font (bSound/VFont.packedfile), still on disk; loose.wav is not packed.")


def ies(rec: Recorder) -> None:
    assets.text(rec.path("ies/spot.ies"), assets.IES)
    assets.text(rec.path("ies/mat.ies"), assets.IES)
    blender.new_main(rec, "shot.blend")
    light = bpy.data.lights.new("Lamp", "POINT")
    light.use_nodes = True
    node = light.node_tree.nodes.new("ShaderNodeTexIES")
    node.mode = "EXTERNAL"
    node.filepath = "//ies/spot.ies"
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Lamp", light))
    mat = bpy.data.materials.new("Glow")
    mat.use_nodes = True
    mnode = mat.node_tree.nodes.new("ShaderNodeTexIES")
    mnode.mode = "EXTERNAL"
    mnode.filepath = "//ies/mat.ies"
    blender.cube("Glowing").data.materials.append(mat)
    blender.save()
    rec.note("IES Texture nodes in EXTERNAL mode: one in a light's node tree, one in a material.")
