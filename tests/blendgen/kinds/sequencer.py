# SPDX-License-Identifier: GPL-3.0-or-later
"""Video sequencer strips (Blender 5.0: Strip, formerly Sequence), including inside a meta strip."""

from __future__ import annotations

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def sequencer(rec: Recorder) -> None:
    assets.png(rec.path("edit/still.png"))
    folder = rec.path("edit/shot010/x").parent
    frames = assets.png_frames(folder, "shot010_{:04d}.png", [1, 2, 3])
    # A frame on disk that is not one of the strip's elements: the strip never reads it.
    extra = assets.png(folder / "shot010_0004.png")
    assets.movie(rec.path("edit/plate.mp4"))
    assets.wav(rec.path("edit/music.wav"))
    meta_folder = rec.path("edit/meta/x").parent
    meta_frames = assets.png_frames(meta_folder, "insert_{:02d}.png", [1, 2])
    assets.wav(rec.path("edit/meta/voice.wav"))
    assets.movie(rec.path("edit/meta/insert.mp4"))

    blender.new_main(rec, "edit.blend")
    scene = bpy.context.scene
    ed = scene.sequence_editor_create()
    assets.strips_of(ed).new_image("Still", "//edit/still.png", channel=1, frame_start=1)
    seq = assets.strips_of(ed).new_image("Shot010", str(frames[0]), channel=2, frame_start=1)
    for f in frames[1:]:
        seq.elements.append(f.name)
    seq.directory = "//edit/shot010/"
    assets.strips_of(ed).new_movie("Plate", "//edit/plate.mp4", channel=3, frame_start=1)
    assets.strips_of(ed).new_sound("Music", "//edit/music.wav", channel=4, frame_start=1)
    meta = assets.strips_of(ed).new_meta("Meta", channel=5, frame_start=1)
    inner = assets.strips_of(meta).new_image("Insert", str(meta_frames[0]), channel=1, frame_start=1)
    inner.elements.append(meta_frames[1].name)
    inner.directory = "//edit/meta/"
    assets.strips_of(meta).new_sound("Voice", "//edit/meta/voice.wav", channel=2, frame_start=1)
    assets.strips_of(meta).new_movie("InsertMovie", "//edit/meta/insert.mp4", channel=3, frame_start=1)
    blender.save()
    rec.decoy(extra, assets.png(folder / "shot010_preview.png"))
    rec.note(
        "Strips: single image, image sequence (StripData.dirpath + StripElem array, 3 elements; "
        "shot010_0004.png is on disk but not an element), movie, sound (bSound datablock), and "
        "a meta strip holding an image sequence, a sound and a movie. blend_paths lists every "
        "element of an image strip, not just the first."
    )
