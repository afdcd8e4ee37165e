# SPDX-License-Identifier: GPL-3.0-or-later
"""Image datablocks in every source and every place that can use one."""

from __future__ import annotations

import os

import bpy

from blendgen import assets, blender
from blendgen.recorder import Recorder


def _material_cube(name: str, image: object) -> None:
    ob = blender.uv_cube(name)
    ob.data.materials.append(blender.image_material(f"M_{name}", image))


def image_single(rec: Recorder) -> None:
    rel = assets.png(rec.path("textures/wood.png"))
    up = assets.png(rec.path("shared/metal.png"))
    absolute = assets.png(rec.path("abs/stone.png"))
    rec.decoy(assets.png(rec.path("textures/unused.png")))
    blender.new_main(rec, "scenes/shot.blend")
    a = bpy.data.images.load(str(rel))
    a.filepath = "//../textures/wood.png"
    b = bpy.data.images.load(str(up))
    b.filepath = "//../shared/metal.png"
    c = bpy.data.images.load(str(absolute))  # stays absolute
    for i, img in enumerate((a, b, c)):
        _material_cube(f"Cube{i}", img)
    blender.save()
    rec.note("Relative paths go up one folder (//../); stone.png is stored absolute.")


def image_movie(rec: Recorder) -> None:
    mp4 = assets.movie(rec.path("footage/plate.mp4"))
    blender.new_main(rec, "shot.blend")
    img = bpy.data.images.load("//footage/plate.mp4")
    if img.source != "MOVIE":
        img.source = "MOVIE"
    _material_cube("Screen", img)
    blender.save()
    rec.note(f"Image datablock with source MOVIE on {mp4.name}.")


def image_sequence(rec: Recorder) -> None:
    folder = rec.path("frames/x").parent
    frames = assets.png_frames(folder, "walk.{:04d}.png", [1, 2, 3, 4])
    rec.decoy(
        assets.png(folder / "walk_preview.png"),
        assets.png(folder / "walk.0001.png.bak"),
        assets.png(folder / "walkcycle.0001.png"),
        assets.png(folder / "run.0001.png"),
    )
    blender.new_main(rec, "shot.blend")
    img = bpy.data.images.load("//frames/walk.0001.png")
    img.source = "SEQUENCE"
    ob = blender.uv_cube("Flipbook")
    mat = blender.image_material("M_flip", img)
    tex = next(n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE")
    tex.image_user.frame_duration = 4
    ob.data.materials.append(mat)
    blender.save()
    rec.expand(frames[0], frames)
    rec.note("Image source SEQUENCE; Blender lists only the first frame's path.")


UDIM_TILES = (1001, 1002, 1011)


def image_udim(rec: Recorder) -> None:
    folder = rec.path("tiles/x").parent
    udim_files = [assets.png(folder / f"skin.{t}.png") for t in UDIM_TILES]
    uv_files = [assets.png(folder / f"bark_u{(t - 1001) % 10 + 1}_v{(t - 1001) // 10 + 1}.png") for t in UDIM_TILES]
    blender.new_main(rec, "shot.blend")
    for name, pattern in (("skin", "//tiles/skin.<UDIM>.png"), ("bark", "//tiles/bark_<UVTILE>.png")):
        img = bpy.data.images.new(name, 4, 4, tiled=True)
        img.source = "TILED"
        img.filepath = pattern
        for t in UDIM_TILES[1:]:
            if img.tiles.get(t) is None:
                img.tiles.new(tile_number=t)
        _material_cube(f"Cube_{name}", img)
    blender.save()
    # Written only now: setting Image.filepath (or reloading) rescans the folder and would
    # adopt these as tiles; loading the .blend keeps the stored tile list.
    rec.decoy(
        assets.png(folder / "skin.1005.png"),
        assets.png(folder / "skin.1001.png.bak"),
        assets.png(folder / "skin_preview.png"),
        assets.png(folder / "bark_u5_v5.png"),
        assets.png(folder / "bark_preview.png"),
    )
    abs_folder = os.path.normpath(folder)
    rec.expand(os.path.join(abs_folder, "skin.<UDIM>.png"), udim_files)
    rec.expand(os.path.join(abs_folder, "bark_<UVTILE>.png"), uv_files)

    def tiles_as_saved() -> None:
        for name in ("skin", "bark"):
            got = sorted(t.number for t in bpy.data.images[name].tiles)
            if got != sorted(UDIM_TILES):
                raise AssertionError(f"{name}: tiles after reopen {got}, wanted {UDIM_TILES}")

    rec.on_reopen(tiles_as_saved)
    rec.note(
        "Tiles 1001, 1002, 1011 are in Image.tiles; skin.1005.png and bark_u5_v5.png exist on disk "
        "but are not tiles of the image."
    )


def image_packed(rec: Recorder) -> None:
    packed = assets.png(rec.path("textures/packed.png"))
    external = assets.png(rec.path("textures/external.png"))
    blender.new_main(rec, "shot.blend")
    p = bpy.data.images.load("//textures/packed.png")
    p.pack()
    e = bpy.data.images.load("//textures/external.png")
    _material_cube("Packed", p)
    _material_cube("External", e)
    blender.save()
    rec.packed(packed)
    rec.note(f"packed.png is packed (and still on disk); only {external.name} is a dependency.")


def missing(rec: Recorder) -> None:
    lib = rec.path("libs/gone.blend")
    blender.reset()
    coll = bpy.data.collections.new("GoneSet")
    bpy.context.scene.collection.children.link(coll)
    coll.objects.link(blender.cube("GoneCube", link=False))
    blender.save_as(lib)
    present = assets.png(rec.path("textures/present.png"))
    blender.new_main(rec, "shot.blend")
    with bpy.data.libraries.load(str(lib), link=True, relative=True) as (_src, dst):
        dst.collections = ["GoneSet"]
    inst = bpy.data.objects.new("GoneInstance", None)
    inst.instance_type = "COLLECTION"
    inst.instance_collection = dst.collections[0]
    bpy.context.scene.collection.objects.link(inst)
    gone_img = bpy.data.images.new("gone", 4, 4)
    gone_img.source = "FILE"
    gone_img.filepath = "//textures/gone.png"
    _material_cube("Gone", gone_img)
    _material_cube("Present", bpy.data.images.load(str(present)))
    blender.save()
    lib.unlink()
    rec.missing(rec.root / "textures/gone.png", lib)
    rec.note("An image and a library whose files do not exist.")


def world_image(rec: Recorder) -> None:
    hdr = assets.png(rec.path("hdri/sky.png"))
    blender.new_main(rec, "shot.blend")
    world = bpy.data.worlds.new("World")
    bpy.context.scene.world = world
    world.use_nodes = True
    env = world.node_tree.nodes.new("ShaderNodeTexEnvironment")
    env.image = bpy.data.images.load("//hdri/sky.png")
    bg = world.node_tree.nodes.get("Background")
    if bg is not None:
        world.node_tree.links.new(env.outputs["Color"], bg.inputs["Color"])
    blender.save()
    rec.note(f"World environment texture {hdr.name}.")


def compositor_image(rec: Recorder) -> None:
    assets.png(rec.path("comp/overlay.png"))
    blender.new_main(rec, "shot.blend")
    scene = bpy.context.scene
    tree = bpy.data.node_groups.new("Compositing", "CompositorNodeTree")
    scene.compositing_node_group = tree
    node = tree.nodes.new("CompositorNodeImage")
    node.image = bpy.data.images.load("//comp/overlay.png")
    blender.save()
    rec.note("Image node in the scene's compositing node group (Blender 5.0: Scene.compositing_node_group).")


def camera_background(rec: Recorder) -> None:
    assets.png(rec.path("ref/layout.png"))
    assets.movie(rec.path("ref/plate.mp4"))
    blender.new_main(rec, "shot.blend")
    cam = bpy.data.cameras.new("Cam")
    ob = bpy.data.objects.new("Cam", cam)
    bpy.context.scene.collection.objects.link(ob)
    cam.show_background_images = True
    bg = cam.background_images.new()
    bg.source = "IMAGE"
    bg.image = bpy.data.images.load("//ref/layout.png")
    bg2 = cam.background_images.new()
    bg2.source = "MOVIE_CLIP"
    bg2.clip = bpy.data.movieclips.load("//ref/plate.mp4")
    assets.png(rec.path("ref/board.png"))
    empty = bpy.data.objects.new("Board", None)
    empty.empty_display_type = "IMAGE"
    empty.data = bpy.data.images.load("//ref/board.png")
    bpy.context.scene.collection.objects.link(empty)
    blender.save()
    rec.note(
        "Camera background image (Image) and background movie clip (MovieClip), and an image "
        "empty (Object.data points at an Image)."
    )


def legacy_texture(rec: Recorder) -> None:
    assets.png(rec.path("textures/height.png"))
    assets.png(rec.path("textures/brush.png"))
    blender.new_main(rec, "shot.blend")
    tex = bpy.data.textures.new("Height", "IMAGE")
    tex.image = bpy.data.images.load("//textures/height.png")
    ob = blender.cube("Displaced")
    mod = ob.modifiers.new("Displace", "DISPLACE")
    mod.texture = tex
    tex2 = bpy.data.textures.new("Stamp", "IMAGE")
    tex2.image = bpy.data.images.load("//textures/brush.png")
    tex2.use_fake_user = True
    blender.save()
    rec.note("Legacy Tex datablocks of type IMAGE (one on a Displace modifier, one with a fake user).")


def unicode_paths(rec: Recorder) -> None:
    lib = rec.path("libs/bibliothèque été.blend")
    assets.png(rec.path("libs/tex/écorce 1.png"))
    img_path = assets.png(rec.path("textures/über façade/wood grain ü.png"))
    blender.reset()
    blender.save_as(lib)
    coll = bpy.data.collections.new("Forêt")
    bpy.context.scene.collection.children.link(coll)
    ob = blender.uv_cube("Arbre")
    bpy.context.scene.collection.objects.unlink(ob)
    coll.objects.link(ob)
    ob.data.materials.append(blender.image_material("Écorce", bpy.data.images.load("//tex/écorce 1.png")))
    blender.save()
    blender.new_main(rec, "scène 01/plan ß.blend")
    with bpy.data.libraries.load(str(lib), link=True, relative=True) as (_src, dst):
        dst.collections = ["Forêt"]
    inst = bpy.data.objects.new("Forêt", None)
    inst.instance_type = "COLLECTION"
    inst.instance_collection = dst.collections[0]
    bpy.context.scene.collection.objects.link(inst)
    _material_cube("Façade", bpy.data.images.load(str(img_path)))
    bpy.data.images["wood grain ü.png"].filepath = "//../textures/über façade/wood grain ü.png"
    blender.save()
    rec.note("Non-ASCII (UTF-8) and spaces in folder, file, library and datablock names.")
