#!/usr/bin/python3
"""Make the image/ test fixtures and their references.

    /usr/bin/python3 tests/gen_image_fixtures.py [OUTDIR]

OUTDIR defaults to tests/fixtures/image.  Needs Pillow and numpy (Debian
python3-pil, python3-numpy), torchvision (python3-torchvision) for the
Resize/CenterCrop/Normalize references, libjpeg-turbo-progs (jpegtran) for
restart markers, arithmetic coding and lossless crops of the real photos,
and cc with libjpeg62-turbo-dev for the one YCCK file (Pillow cannot write
YCCK).

Everything the C test checks is listed in OUTDIR/manifest.txt, one case per
line (see the comment at its top).  References are raw 8-bit RGB (.rgb,
row-major, no header) or raw little-endian float32 (.f32); their sizes are
in the manifest.  Pixels come from Pillow (decoding, BILINEAR resize,
alpha_composite, exif_transpose, draft) or torchvision, except the 16-bit
PNGs, whose references are computed with numpy from the samples written.
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "fixtures", "image"))
PHOTOS = "/usr/lib/python3/dist-packages/sklearn/datasets/images"

manifest = []


def path(name):
    return os.path.join(OUT, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def save_rgb(name, im):
    """Write im (PIL RGB image or HxWx3 uint8 array) as raw RGB; return (w, h)."""
    a = np.asarray(im, dtype=np.uint8)
    assert a.ndim == 3 and a.shape[2] == 3, a.shape
    write(name, np.ascontiguousarray(a).tobytes())
    return a.shape[1], a.shape[0]


def on_white(im):
    """Pillow: alpha-composite an image over opaque white, as RGB."""
    rgba = im.convert("RGBA")
    bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(bg, rgba).convert("RGB")


def decode_case(fname, im, ref_name=None, flags="default"):
    """A file that must decode to im (PIL image, converted to RGB)."""
    ref_name = ref_name or os.path.splitext(fname)[0] + ".rgb"
    w, h = save_rgb(ref_name, im.convert("RGB"))
    manifest.append(f"decode {fname} {ref_name} {w} {h} {flags}")


def pillow_decode(fname):
    with Image.open(path(fname)) as im:
        im.load()
        return im.copy()


def photo_like(w, h, seed):
    """Smooth shapes, edges and noise: something like a photograph."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3), rng.uniform(0, 6.3)
        a[..., c] = 128 + 90 * np.sin(fx * x + ph) * np.cos(fy * y - ph)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, max(4, w / 3))
        col = rng.uniform(0, 255, 3)
        a[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = col
    a += rng.normal(0, 12, a.shape)
    return np.clip(a + 0.5, 0, 255).astype(np.uint8)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(samples, color_type, depth=16):
    """A PNG written by hand (Pillow cannot write 16-bit colour)."""
    h, w = samples.shape[:2]
    rows = samples.astype(">u2" if depth == 16 else np.uint8).reshape(h, -1)
    raw = b"".join(b"\x00" + r.tobytes() for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def adam7_png(rgb):
    """An interlaced (Adam7) 8-bit RGB PNG written by hand (Pillow cannot)."""
    h, w = rgb.shape[:2]
    raw = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                           (1, 0, 2, 2), (0, 1, 1, 2)]:
        sub = rgb[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\x00" + r.tobytes() for r in sub)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def composite16(c, a):
    """Our documented compositing on white after keeping the high bytes."""
    c = (c >> 8).astype(np.int64)
    a = (a >> 8).astype(np.int64)
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


YCCK_WRITER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
/* ycck W H in.cmyk out.jpg: stored (Adobe-inverted) CMYK bytes to YCCK JPEG */
int main(int argc, char **argv)
{
    int w = atoi(argv[1]), h = atoi(argv[2]);
    unsigned char *buf = malloc((size_t)w * h * 4);
    FILE *in = fopen(argv[3], "rb");
    if (!in || fread(buf, 4, (size_t)w * h, in) != (size_t)w * h) return 1;
    fclose(in);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *out = fopen(argv[4], "wb");
    jpeg_stdio_dest(&c, out);
    c.image_width = w; c.image_height = h;
    c.input_components = 4; c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, JCS_YCCK);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = buf + (size_t)c.next_scanline * w * 4;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    fclose(out);
    return 0;
}
"""


def jpegtran(args, src, dst):
    subprocess.run(["jpegtran", *args, "-outfile", path(dst), path(src)], check=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f != "README":
            os.remove(os.path.join(OUT, f))

    base = Image.fromarray(photo_like(45, 37, 1), "RGB")

    # ---- JPEG colour types and codings
    for name, kw in [("jpeg_420.jpg", dict(quality=90)),
                     ("jpeg_444.jpg", dict(quality=95, subsampling=0)),
                     ("jpeg_422.jpg", dict(quality=85, subsampling=1)),
                     ("jpeg_progressive.jpg", dict(quality=90, progressive=True)),
                     ("jpeg_optimized.jpg", dict(quality=75, optimize=True))]:
        base.save(path(name), "JPEG", **kw)
        decode_case(name, pillow_decode(name))
    base.convert("L").save(path("jpeg_gray.jpg"), "JPEG", quality=90)
    decode_case("jpeg_gray.jpg", pillow_decode("jpeg_gray.jpg"))
    # Pillow writes CMYK as Adobe-inverted CMYK with an Adobe marker.
    cmyk = Image.fromarray(photo_like(45, 37, 2)[..., [0, 1, 2, 0]].copy(), "CMYK")
    cmyk.save(path("jpeg_cmyk.jpg"), "JPEG", quality=90)
    decode_case("jpeg_cmyk.jpg", pillow_decode("jpeg_cmyk.jpg"))
    # YCCK (Adobe transform 2), written through libjpeg from inverted CMYK.
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "ycck.c")
        with open(src, "w") as f:
            f.write(YCCK_WRITER)
        exe = os.path.join(tmp, "ycck")
        subprocess.run(["cc", "-O1", "-o", exe, src, "-ljpeg"], check=True)
        inv = 255 - np.asarray(cmyk)
        raw = os.path.join(tmp, "in.cmyk")
        inv.tofile(raw)
        subprocess.run([exe, str(cmyk.width), str(cmyk.height), raw, path("jpeg_ycck.jpg")], check=True)
    with Image.open(path("jpeg_ycck.jpg")) as im:
        assert im.info.get("adobe_transform") == 2, im.info
    decode_case("jpeg_ycck.jpg", pillow_decode("jpeg_ycck.jpg"))
    # Restart markers (every MCU row; every 3 MCUs on a progressive file),
    # arithmetic coding.
    jpegtran(["-restart", "1"], "jpeg_420.jpg", "jpeg_restart.jpg")
    jpegtran(["-restart", "3B", "-progressive"], "jpeg_444.jpg", "jpeg_restart_prog.jpg")
    jpegtran(["-arithmetic"], "jpeg_420.jpg", "jpeg_arith.jpg")
    for name in ("jpeg_restart.jpg", "jpeg_restart_prog.jpg", "jpeg_arith.jpg"):
        decode_case(name, pillow_decode(name))
    assert b"\xff\xd0" in open(path("jpeg_restart.jpg"), "rb").read()
    assert b"\xff\xdd" in open(path("jpeg_restart_prog.jpg"), "rb").read()

    # ---- real photographs: lossless crops (original DCT data) of the two
    # CC-BY photos that ship with scikit-learn (see README).
    photos = []
    if os.path.isdir(PHOTOS):
        for src, crop, name in [("china.jpg", "96x72+208+176", "photo_china.jpg"),
                                ("flower.jpg", "112x80+240+160", "photo_flower.jpg")]:
            subprocess.run(["jpegtran", "-crop", crop, "-copy", "none", "-optimize",
                            "-outfile", path(name), os.path.join(PHOTOS, src)], check=True)
            decode_case(name, pillow_decode(name))
            photos.append(name)
    # Reduced-scale decoding: Pillow's draft() asks libjpeg for the same
    # DCT scaling that min_side selects.
    for name in photos + ["jpeg_420.jpg", "jpeg_gray.jpg", "jpeg_cmyk.jpg"]:
        with Image.open(path(name)) as im:
            w, h = im.size
        for s in (2, 4, 8):
            min_side = -(-min(w, h) // s)     # the smaller side at scale 1/s
            with Image.open(path(name)) as im:
                im.draft(im.mode, (w // s, h // s))
                im.load()
                ref = im.convert("RGB")
            assert ref.size == (-(-w // s), -(-h // s)), (name, s, ref.size)
            base_name = os.path.splitext(name)[0]
            decode_case(name, ref, f"{base_name}_scale{s}.rgb", f"min_side={min_side}")

    # ---- PNG colour types
    rgba_a = photo_like(45, 37, 3)
    alpha = np.linspace(0, 255, 45 * 37).reshape(37, 45)
    alpha[:5] = 0
    alpha[-5:] = 255
    rgba_a = np.dstack([rgba_a, alpha.astype(np.uint8)])
    pngs = {
        "png_rgb.png": base,
        "png_rgba.png": Image.fromarray(rgba_a, "RGBA"),
        "png_gray.png": base.convert("L"),
        "png_gray_alpha.png": Image.fromarray(rgba_a[..., [1, 3]].copy(), "LA"),
        "png_bilevel.png": base.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"),
        "png_palette.png": base.quantize(200),
    }
    for name, im in pngs.items():
        im.save(path(name), "PNG")
    base.quantize(12).save(path("png_palette4.png"), "PNG", bits=4)
    pal = base.quantize(16)
    trns = bytes(range(0, 256, 16))
    pal.save(path("png_palette_trns.png"), "PNG", transparency=trns)
    gray = base.convert("L")
    common_gray = int(np.bincount(np.asarray(gray).ravel()).argmax())
    gray.save(path("png_gray_trns.png"), "PNG", transparency=common_gray)
    rgb_t = np.asarray(base).copy()
    rgb_t[10:20, 10:30] = (12, 34, 56)
    Image.fromarray(rgb_t).save(path("png_rgb_trns.png"), "PNG", transparency=(12, 34, 56))
    for name in list(pngs) + ["png_palette4.png", "png_palette_trns.png", "png_gray_trns.png",
                              "png_rgb_trns.png"]:
        im = pillow_decode(name)
        decode_case(name, on_white(im), os.path.splitext(name)[0] + "_white.rgb", "alpha=white")
        decode_case(name, im.convert("RGB"), os.path.splitext(name)[0] + "_drop.rgb", "alpha=drop")
    with Image.open(path("png_gray_trns.png")) as im:
        assert "transparency" in im.info
    # Adam7 interlacing: written by hand; Pillow reads it back the same.
    write("png_interlaced.png", adam7_png(np.asarray(base)))
    assert pillow_decode("png_interlaced.png").tobytes() == base.tobytes()
    decode_case("png_interlaced.png", base, "png_interlaced.rgb")
    # 16-bit: written by hand, references from the samples with numpy.
    rng = np.random.default_rng(5)
    s16 = rng.integers(0, 65536, (23, 31, 4), dtype=np.uint16)
    s16[0, :, 3] = 0
    s16[1, :, 3] = 65535
    write("png_rgb16.png", raw_png(s16[..., :3], 2))
    write("png_rgba16.png", raw_png(s16, 6))
    write("png_gray16.png", raw_png(s16[..., 0], 0))
    write("png_gray_alpha16.png", raw_png(s16[..., [0, 3]], 4))
    hi = (s16 >> 8).astype(np.uint8)
    decode_case("png_rgb16.png", Image.fromarray(hi[..., :3]), "png_rgb16.rgb")
    assert np.array_equal(np.asarray(pillow_decode("png_rgb16.png").convert("RGB")), hi[..., :3])
    white = np.dstack([composite16(s16[..., c], s16[..., 3]) for c in range(3)])
    decode_case("png_rgba16.png", Image.fromarray(white), "png_rgba16_white.rgb", "alpha=white")
    decode_case("png_rgba16.png", Image.fromarray(hi[..., :3]), "png_rgba16_drop.rgb", "alpha=drop")
    decode_case("png_gray16.png", Image.fromarray(np.dstack([hi[..., 0]] * 3)), "png_gray16.rgb")
    g = composite16(s16[..., 0], s16[..., 3])
    decode_case("png_gray_alpha16.png", Image.fromarray(np.dstack([g] * 3)), "png_gray_alpha16_white.rgb",
                "alpha=white")
    decode_case("png_gray_alpha16.png", Image.fromarray(np.dstack([hi[..., 0]] * 3)),
                "png_gray_alpha16_drop.rgb")
    assert np.array_equal(np.asarray(pillow_decode("png_gray_alpha16.png").convert("RGB"))[..., 0],
                          hi[..., 0])

    # ---- EXIF orientation 1-8 (JPEG APP1, and a PNG eXIf chunk)
    asym = photo_like(40, 24, 7)
    asym[:6, :10] = (255, 0, 0)     # a red top-left corner
    asym_im = Image.fromarray(asym)
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        name = f"exif_{o}.jpg"
        asym_im.save(path(name), "JPEG", quality=92, exif=exif.tobytes())
        im = pillow_decode(name)
        assert im.getexif().get(0x0112) == o
        decode_case(name, ImageOps.exif_transpose(im), f"exif_{o}.rgb")
        decode_case(name, im, f"exif_{o}_ignored.rgb", "noexif")
    exif = Image.Exif()
    exif[0x0112] = 6
    asym_im.save(path("exif_6.png"), "PNG", exif=exif.tobytes())
    im = pillow_decode("exif_6.png")
    decode_case("exif_6.png", ImageOps.exif_transpose(im), "exif_6_png.rgb")

    # ---- content, not name: a PNG called .jpg
    shutil.copy(path("png_rgb.png"), path("png_named.jpg"))
    decode_case("png_named.jpg", pillow_decode("png_named.jpg"), "png_named.rgb")

    # ---- damaged and broken files
    good = open(path("jpeg_420.jpg"), "rb").read()
    write("bad_jpeg_truncated.jpg", good[: len(good) * 6 // 10])       # premature end
    manifest.append("error bad_jpeg_truncated.jpg DAMAGED")
    with Image.open(path("bad_jpeg_truncated.jpg")) as im:           # Pillow's reading of it
        from PIL import ImageFile
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        im.load()
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        decode_case("bad_jpeg_truncated.jpg", im.convert("RGB"), "bad_jpeg_truncated.rgb", "damaged")
    rst = bytearray(open(path("jpeg_restart.jpg"), "rb").read())
    i = rst.index(b"\xff\xd1")                      # second restart marker:
    rst[i + 1] = 0xD5                                # out of sequence, must resync
    write("bad_jpeg_rst.jpg", bytes(rst))
    # decoded as Pillow decodes it, with libjpeg's warning
    decode_case("bad_jpeg_rst.jpg", pillow_decode("bad_jpeg_rst.jpg"), "bad_jpeg_rst.rgb")
    write("bad_jpeg_header.jpg", good[:100])
    manifest.append("error bad_jpeg_header.jpg FORMAT")
    sos = good.index(b"\xff\xda")                   # junk between two markers
    write("bad_jpeg_extraneous.jpg", good[:sos] + b"\x00\x11\x22\x33" + good[sos:])
    decode_case("bad_jpeg_extraneous.jpg", pillow_decode("bad_jpeg_extraneous.jpg"),
                "bad_jpeg_extraneous.rgb")
    sof = good.index(b"\xff\xc0")
    huge = bytearray(good)
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    write("bad_jpeg_60000.jpg", bytes(huge))
    manifest.append("error bad_jpeg_60000.jpg TOO_LARGE")
    pgood = open(path("png_rgb.png"), "rb").read()
    write("bad_png_truncated.png", pgood[: len(pgood) // 2])
    manifest.append("error bad_png_truncated.png FORMAT")
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    write("bad_png_60000.png", pgood[:8] + png_chunk(b"IHDR", ihdr) + pgood[33:])
    manifest.append("error bad_png_60000.png TOO_LARGE")
    badcrc = bytearray(pgood)
    badcrc[29] ^= 0xFF                               # the IHDR CRC
    write("bad_png_crc.png", bytes(badcrc))
    manifest.append("error bad_png_crc.png FORMAT")
    iend = pgood.rindex(b"IEND") - 4
    write("bad_png_no_iend.png", pgood[:iend])
    decode_case("bad_png_no_iend.png", pillow_decode("bad_png_no_iend.png"), "bad_png_no_iend.rgb")
    write("bad_garbage.jpg", np.random.default_rng(9).integers(0, 256, 700, dtype=np.uint8).tobytes())
    manifest.append("error bad_garbage.jpg FORMAT")
    write("bad_garbage_jpeg_magic.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 2)
    manifest.append("error bad_garbage_jpeg_magic.jpg FORMAT")
    write("bad_empty.jpg", b"")
    manifest.append("error bad_empty.jpg FORMAT")
    gif = io.BytesIO()
    base.save(gif, "GIF")
    write("bad_gif.gif", gif.getvalue())
    manifest.append("error bad_gif.gif FORMAT")

    # ---- resize references: Pillow BILINEAR from Pillow-decoded sources
    srcs = [("noise", Image.fromarray(np.random.default_rng(11).integers(0, 256, (29, 37, 3), dtype=np.uint8)))]
    srcs.append(("base", base))
    if photos:
        srcs.append(("photo", pillow_decode(photos[0]).convert("RGB").crop((8, 8, 72, 56))))
    for tag, im in srcs:
        sname = f"resize_{tag}_src.rgb"
        sw, sh = save_rgb(sname, im)
        targets = [(sw // 2, sh // 2), (sw * 2 + 1, sh * 2 + 3), (sw - 1, sh), (sw, sh - 3),
                   (7, 5), (1, 1), (sw * 3, sh // 3 + 1), (sw // 5 + 1, sh + 17), (sw, sh)]
        for tw, th in targets:
            rname = f"resize_{tag}_{tw}x{th}.rgb"
            save_rgb(rname, im.resize((tw, th), Image.BILINEAR))
            manifest.append(f"resize {sname} {sw} {sh} {rname} {tw} {th}")

    # ---- torchvision: Resize(q) (sizes and pixels), CenterCrop, ToTensor+Normalize
    import torch
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    for w, h, q in [(500, 375, 256), (375, 500, 256), (333, 500, 224), (640, 427, 384), (100, 100, 7),
                    (1, 1000, 5), (1001, 3, 2), (480, 640, 512), (257, 256, 256), (1023, 769, 333)]:
        oh, ow = F._compute_resized_output_size((h, w), [q])
        manifest.append(f"shortsize {w} {h} {q} {ow} {oh}")
    src = srcs[-1][1]
    sname = f"resize_{srcs[-1][0]}_src.rgb"
    for q in (16, 47, 90):
        out = T.Resize(q)(src)
        rname = f"short_{q}.rgb"
        ow, oh = save_rgb(rname, out)
        manifest.append(f"resize_short {sname} {src.width} {src.height} {q} {rname} {ow} {oh}")
    for cw, ch in [(32, 32), (45, 37), (44, 36), (43, 35), (1, 2), (20, 11)]:
        rname = f"center_{cw}x{ch}.rgb"
        save_rgb(rname, T.CenterCrop((ch, cw))(base))
        manifest.append(f"center resize_base_src.rgb {base.width} {base.height} {rname} {cw} {ch}")
    small = base.crop((3, 4, 3 + 16, 4 + 11))
    save_rgb("input_src.rgb", small)
    tv = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])(small)
    write("input_torchvision.f32", tv.numpy().astype("<f4").tobytes())
    tvf = tv.flip(-1)
    write("input_torchvision_flip.f32", tvf.numpy().astype("<f4").tobytes())
    # Oxford Caffe: BGR, 0-255, mean pixel subtracted
    a = torch.from_numpy(np.asarray(small).astype(np.float32)).permute(2, 0, 1)[[2, 1, 0]]
    caffe = a - torch.tensor([103.939, 116.779, 123.68]).view(3, 1, 1)
    write("input_caffe.f32", caffe.numpy().astype("<f4").tobytes())
    manifest.append(f"input input_src.rgb {small.width} {small.height}")

    with open(path("manifest.txt"), "w") as f:
        f.write("# made by tests/gen_image_fixtures.py; one case per line:\n"
                "#   decode FILE REF.rgb W H FLAGS   (default|noexif|alpha=white|alpha=drop|damaged|min_side=N;\n"
                "#                                    default drops alpha; damaged: allow_damaged)\n"
                "#   error FILE STATUS\n"
                "#   resize SRC.rgb SW SH REF.rgb W H\n"
                "#   resize_short SRC.rgb SW SH Q REF.rgb W H\n"
                "#   shortsize W H Q OW OH          (torchvision Resize(Q) output size)\n"
                "#   center SRC.rgb SW SH REF.rgb W H\n"
                "#   input SRC.rgb W H              (input_*.f32 from torchvision / torch)\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(path(f)) for f in os.listdir(OUT))
    print(f"gen_image_fixtures: {len(manifest)} cases, {total} bytes in {OUT}")
    if len(sys.argv) <= 1:
        fuzz_corpus(os.path.join(HERE, "fuzz", "corpus", "image"))


def fuzz_corpus(out):
    """Seeds for tests/fuzz/fuzz_image.c: tiny files of every kind."""
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    im = Image.fromarray(photo_like(13, 11, 21), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    seeds = {
        "baseline.jpg": (im, dict(quality=80)),
        "progressive.jpg": (im, dict(quality=80, progressive=True)),
        "gray.jpg": (im.convert("L"), dict(quality=80)),
        "cmyk.jpg": (im.convert("CMYK"), dict(quality=80)),
        "exif.jpg": (im, dict(quality=80, exif=exif.tobytes())),
        "rgb.png": (im, {}),
        "rgba.png": (im.convert("RGBA"), {}),
        "palette.png": (im.quantize(16), dict(bits=4, transparency=3)),
        "gray.png": (im.convert("L"), {}),
        "gray_alpha.png": (im.convert("LA"), {}),
        "exif.png": (im, dict(exif=exif.tobytes())),
    }
    for name, (img, kw) in seeds.items():
        img.save(os.path.join(out, name), **kw)
    with open(os.path.join(out, "rgba16.png"), "wb") as f:
        f.write(raw_png(np.random.default_rng(3).integers(0, 65536, (5, 7, 4), dtype=np.uint16), 6))
    for name in ("jpeg_restart.jpg", "jpeg_arith.jpg", "jpeg_ycck.jpg", "bad_jpeg_truncated.jpg"):
        shutil.copy(path(name), os.path.join(out, name))
    print(f"gen_image_fixtures: {len(os.listdir(out))} fuzz seeds in {out}")


if __name__ == "__main__":
    main()
