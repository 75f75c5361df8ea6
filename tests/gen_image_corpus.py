#!/usr/bin/python3
"""Make the image-parity corpus and Pillow's readings of it.

    /usr/bin/python3 tests/gen_image_corpus.py OUTDIR

Real-world oddities, crafted with Pillow, by hand (PNG chunks, JPEG
segments) and with libjpeg-turbo's cjpeg and jpegtran (libjpeg-turbo-progs),
plus sample images other packages ship (scikit-learn's photographs,
libpng's pngtest.png, CMake's and gnuplot's icons, SciPy's dots.png, where
installed): every PNG colour type and bit depth with and without tRNS,
interlaced or not, gamma, colour and text chunks, EXIF / raw-profile / XMP
orientation in PNG and EXIF / XMP in JPEG, JPEGs with junk before markers,
restart markers, CMYK / YCCK, progressive and arithmetic coding, and files
truncated or damaged at several points.  tests/test_image_corpus.c decodes
each with vggimage and compares it with the reference written here.

What a PyTorch user's loader gives is the reference:

    im = Image.open(p); im.load(); im = ImageOps.exif_transpose(im).convert("RGB")

OUTDIR/corpus.txt has a line per file, TAB-separated:

    FILE  pillow    W H  FLAGS  NOTE   Pillow decodes it: FILE.ref (W x H raw RGB) and
                                       FILE.ref32 (resized to 32x32, BILINEAR);
                                       FLAGS "white": FILE.white32 is Pillow's
                                       alpha_composite over white, resized
    FILE  refused   0 0  -      WHY    Pillow refuses it (its message)
    FILE  differ16  W H  -      NOTE   16-bit gray, where we differ on purpose:
                                       FILE.ref is ours, v >> 8 (checked here
                                       against round(v * 255 / 65535) within one
                                       level); FILE.pil is Pillow's clipped
                                       min(v, 255) (checked here too)

The files are small (the whole corpus is about 1 MB with the photographs);
the test makes it in a temporary directory each run.
"""
import glob
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib

import numpy as np
from PIL import Image, ImageFile, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "image")
OUT = os.path.abspath(sys.argv[1])
lines = []


def path(name):
    return os.path.join(OUT, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    return name


# ------------------------------------------------------------ pictures

def picture(w, h, seed, channels=3, top=256):
    """Smooth shapes, an edge and noise; an asymmetric corner so that every
    orientation shows."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.zeros((h, w, channels))
    for c in range(channels):
        fx, fy, ph = rng.uniform(0.05, 0.4), rng.uniform(0.05, 0.4), rng.uniform(0, 6.3)
        a[..., c] = 0.5 + 0.35 * np.sin(fx * x + ph) * np.cos(fy * y - ph)
    a[: max(1, h // 4), : max(1, w // 3)] = 0.95     # bright top-left corner
    a += rng.normal(0, 0.04, a.shape)
    return np.clip(np.floor(a * top), 0, top - 1).astype(np.int64)


# ------------------------------------------------------------ PNG by hand

def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def pack_row(values, depth):
    if depth == 16:
        return np.asarray(values, dtype=">u2").tobytes()
    if depth == 8:
        return np.asarray(values, dtype=np.uint8).tobytes()
    per = 8 // depth
    vals = list(values) + [0] * (-len(values) % per)
    out = bytearray()
    for i in range(0, len(vals), per):
        v = 0
        for k in range(per):
            v = (v << depth) | int(vals[i + k])
        out.append(v)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(samples, color, depth, interlace=False, plte=None, trns=None, pre=(), post=(),
        idat_pieces=1, after_iend=b""):
    """A PNG of samples (h, w, c) with colour type color and bit depth depth;
    pre/post: chunks before the first IDAT and after the last."""
    h, w = samples.shape[:2]
    s = samples.reshape(h, w, -1)
    raw = bytearray()
    for x0, y0, dx, dy in (ADAM7 if interlace else [(0, 0, 1, 1)]):
        sub = s[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub.reshape(sub.shape[0], -1):
            raw += b"\0" + pack_row(row, depth)
    z = zlib.compress(bytes(raw), 9)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0,
                                                               1 if interlace else 0))
    out += b"".join(pre)
    if plte is not None:
        out += chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).ravel()))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    step = -(-len(z) // idat_pieces)
    for i in range(0, len(z), step):
        out += chunk(b"IDAT", z[i:i + step])
    out += b"".join(post)
    return out + chunk(b"IEND", b"") + after_iend


def text(key, value, kind=b"tEXt"):
    if kind == b"tEXt":
        return chunk(b"tEXt", key + b"\0" + value)
    if kind == b"zTXt":
        return chunk(b"zTXt", key + b"\0\0" + zlib.compress(value))
    if kind == b"iTXt":
        return chunk(b"iTXt", key + b"\0\0\0\0\0" + value)
    return chunk(b"iTXt", key + b"\0\1\0\0\0" + zlib.compress(value))      # compressed iTXt


# ------------------------------------------------------------ EXIF, XMP

def tiff(entries, le=False):
    """TIFF-structured EXIF: IFD0 with entries (tag, type, count, payload
    bytes); payloads over 4 bytes go after the IFD."""
    e = "<" if le else ">"
    head = (b"II" if le else b"MM") + struct.pack(e + "HI", 42, 8)
    extra_at = 8 + 2 + 12 * len(entries) + 4
    body, extra = b"", b""
    for tag, typ, count, payload in entries:
        if len(payload) > 4:
            body += struct.pack(e + "HHII", tag, typ, count, extra_at + len(extra))
            extra += payload
        else:
            body += struct.pack(e + "HHI", tag, typ, count) + payload.ljust(4, b"\0")
    return head + struct.pack(e + "H", len(entries)) + body + struct.pack(e + "I", 0) + extra


def orient(v, le=False, typ=3):
    e = "<" if le else ">"
    payload = struct.pack(e + ("H" if typ in (3, 8) else "I" if typ in (4, 9) else "B"), v)
    return tiff([(0x010F, 2, 4, b"Cam\0"), (0x0112, typ, 1, payload)], le)


def raw_profile(exif):
    h = exif.hex()
    return b"\nexif\n%8d\n" % len(exif) + b"".join(
        h[i:i + 72].encode() + b"\n" for i in range(0, len(h), 72))


def xmp(body):
    return (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + body +
            b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def xmp_attr(v):
    return xmp(b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/>'
               % v)


def xmp_elem(v):
    return xmp(b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/">'
               b'<tiff:Orientation>%d</tiff:Orientation></rdf:Description>' % v)


# ------------------------------------------------------------ JPEG segments

def segments(data):
    """(offset, marker) of every marker up to the first SOS, then SOS."""
    out, i = [], 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, (i, data[i])
        m = data[i + 1]
        out.append((i, m))
        if m == 0xDA:
            break
        i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return out


def offset_of(data, marker):
    return next(o for o, m in segments(data) if m == marker)


def app(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def insert_after_soi(data, *segs):
    return data[:2] + b"".join(segs) + data[2:]


def pillow_jpeg(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def ppm(a):
    a = np.asarray(a, dtype=np.uint8)
    if a.ndim == 2:
        return b"P5\n%d %d\n255\n" % (a.shape[1], a.shape[0]) + a.tobytes()
    return b"P6\n%d %d\n255\n" % (a.shape[1], a.shape[0]) + a.tobytes()


def cjpeg(args, a, name):
    with tempfile.NamedTemporaryFile(suffix=".pnm") as f:
        f.write(ppm(a))
        f.flush()
        subprocess.run(["cjpeg", *args, "-outfile", path(name), f.name], check=True)
    return name


def jpegtran(args, src, name):
    subprocess.run(["jpegtran", *args, "-outfile", path(name), path(src)], check=True)
    return name


# ------------------------------------------------------------ references

def pillow_reading(name):
    """Pillow's RGB image as a PyTorch loader gets it, or the exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path(name)) as im:
                im.load()
                mode = im.mode
                has_alpha = "A" in im.mode or "transparency" in im.info
                t = ImageOps.exif_transpose(im)
                return t.convert("RGB"), t, mode, has_alpha, None
        except Exception as e:  # noqa: BLE001 -- every refusal is a reading
            return None, None, None, False, "%s: %s" % (type(e).__name__, e)


def raw(im):
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8)).tobytes()


def small(im):
    return im.resize((32, 32), Image.BILINEAR)


def on_white(im):
    rgba = im.convert("RGBA")
    bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(bg, rgba).convert("RGB")


def record(name, note, white=True):
    """Pillow's reading of name; white False: no reference on white (where
    Pillow misreads tRNS: 2 and 4-bit gray, its value not scaled like the
    samples; 16-bit RGB, compared with the 8-bit samples)."""
    rgb, t, mode, has_alpha, err = pillow_reading(name)
    if err:
        lines.append("%s\trefused\t0\t0\t-\t%s" % (name, err.replace("\t", " ").replace("\n", " ")))
        return
    write(name + ".ref", raw(rgb))
    write(name + ".ref32", raw(small(rgb)))
    flags = "-"
    if has_alpha and white and mode not in ("I;16", "I;16B", "I"):
        write(name + ".white32", raw(small(on_white(t))))
        flags = "white"
    lines.append("%s\tpillow\t%d\t%d\t%s\t%s" % (name, rgb.width, rgb.height, flags, note))


def record_gray16(name, samples, note):
    """16-bit gray: ours is v >> 8; Pillow's convert("RGB") clips."""
    v = samples.reshape(samples.shape[0], samples.shape[1]).astype(np.int64)
    ours = (v >> 8).astype(np.uint8)
    exact = np.floor(v * 255 / 65535 + 0.5)
    assert np.abs(ours - exact).max() <= 1, "v >> 8 is within a level of v * 255 / 65535"
    rgb, t, mode, has_alpha, err = pillow_reading(name)
    assert err is None, err
    pil = np.asarray(rgb)
    assert np.array_equal(pil[..., 0], np.minimum(v, 255)), "Pillow clips 16-bit gray"
    correct = Image.fromarray(np.dstack([ours] * 3))
    write(name + ".ref", raw(correct))
    write(name + ".ref32", raw(small(correct)))
    write(name + ".pil", raw(rgb))
    lines.append("%s\tdiffer16\t%d\t%d\t-\t%s" % (name, correct.width, correct.height, note))


# ------------------------------------------------------------ the corpus

def png_types():
    """Every colour type and bit depth, without and with tRNS, plain and
    Adam7-interlaced."""
    w, h = 37, 29
    kinds = [(0, d) for d in (1, 2, 4, 8, 16)] + [(2, 8), (2, 16)] + \
            [(3, d) for d in (1, 2, 4, 8)] + [(4, 8), (4, 16), (6, 8), (6, 16)]
    names = {0: "gray", 2: "rgb", 3: "pal", 4: "ga", 6: "rgba"}
    for color, depth in kinds:
        ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
        top = 1 << depth
        seed = color * 100 + depth
        plte = None
        if color == 3:
            ncol = min(top, 200)
            s = picture(w, h, seed, 1, ncol)
            plte = np.random.default_rng(seed).integers(0, 256, (ncol, 3))
        else:
            s = picture(w, h, seed, ch, top)
            if ch in (2, 4):      # alpha: transparent, opaque and in between
                s[..., -1] = np.linspace(0, top - 1, w * h).reshape(h, w).astype(np.int64)
                s[:3, :, -1] = 0
                s[-3:, :, -1] = top - 1
        trns_opts = [None]
        if color == 0:
            trns_opts.append(struct.pack(">H", int(np.bincount(s.ravel()).argmax())))
        elif color == 2:
            s[5:9, 5:12] = s[0, 0]
            trns_opts.append(struct.pack(">HHH", *[int(v) for v in s[0, 0]]))
        elif color == 3:
            trns_opts.append(bytes(np.linspace(0, 255, min(len(plte), 9)).astype(np.uint8)))
        for trns in trns_opts:
            for interlace in (False, True):
                name = "png_%s%d%s%s.png" % (names[color], depth, "_trns" if trns else "",
                                             "_adam7" if interlace else "")
                write(name, png(s, color, depth, interlace, plte, trns))
                note = "colour type %d, %d-bit%s%s" % (color, depth, ", tRNS" if trns else "",
                                                      ", interlaced" if interlace else "")
                if color == 0 and depth == 16:
                    record_gray16(name, s, note + " (Pillow clips)")
                else:
                    record(name, note, not trns or not ((color == 0 and depth in (2, 4)) or
                                                        (color == 2 and depth == 16)))


def png_chunks():
    """Gamma, colour, text and other ancillary chunks; IDAT split."""
    s = picture(41, 23, 7)
    icc = zlib.compress(b"\0" * 128)
    pre = [chunk(b"gAMA", struct.pack(">I", 45455)),
           chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
           chunk(b"sBIT", b"\5\6\5"), chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
           chunk(b"bKGD", struct.pack(">HHH", 0, 0, 255)),
           chunk(b"tIME", struct.pack(">HBBBBB", 2024, 2, 29, 12, 0, 0)),
           text(b"Title", b"gamma, chromaticities, text"), text(b"Comment", b"z" * 300, b"zTXt"),
           text(b"Description", "caf\u00e9 \u2603".encode(), b"iTXt"),
           text(b"Author", b"compressed international text", b"iTXc"),
           chunk(b"prVt", b"private ancillary chunk")]
    record(write("png_chunks.png", png(s, 2, 8, pre=pre, post=[text(b"Late", b"after IDAT")])),
           "gAMA cHRM sBIT pHYs bKGD tIME tEXt zTXt iTXt, a private chunk")
    record(write("png_gamma1.png", png(s, 2, 8, pre=[chunk(b"gAMA", struct.pack(">I", 100000))])),
           "gAMA 1.0 (not applied, as in Pillow)")
    record(write("png_srgb_iccp.png", png(s, 2, 8, pre=[chunk(b"sRGB", b"\0"),
                                                        chunk(b"iCCP", b"bogus\0\0" + icc)])),
           "sRGB and a bogus iCCP profile")
    record(write("png_idat_split.png", png(s, 2, 8, idat_pieces=40)), "IDAT in 40 chunks")
    with_empty = png(s, 2, 8)
    i = with_empty.index(b"IDAT") - 4
    record(write("png_idat_empty.png", with_empty[:i] + chunk(b"IDAT", b"") + with_empty[i:]),
           "an empty IDAT first")
    record(write("png_after_iend.png", png(s, 2, 8, after_iend=b"trailing junk" * 5)),
           "bytes after IEND")
    im = Image.fromarray(picture(30, 20, 8).astype(np.uint8))
    b = io.BytesIO()
    im.save(b, "PNG", optimize=True)
    record(write("png_pillow_optimized.png", b.getvalue()), "Pillow, optimize")
    idx = picture(23, 17, 11, 1, 16)
    record(write("png_pal_short_plte.png", png(idx, 3, 4, plte=np.arange(30).reshape(10, 3) * 8)),
           "palette indexes past the PLTE's 10 entries")
    record(write("png_pal_long_trns.png", png(idx, 3, 4, plte=np.arange(48).reshape(16, 3) * 5,
                                              trns=bytes(range(0, 255, 12)))),
           "tRNS longer than needed")
    b = io.BytesIO()
    im.convert("P", palette=Image.Palette.ADAPTIVE, colors=7).save(b, "PNG", bits=3)
    record(write("png_pillow_pal3.png", b.getvalue()), "Pillow, palette of 7 in 4 bits")


def png_orientation():
    s = picture(40, 24, 9)
    e6 = orient(6)
    for o in range(1, 9):
        record(write("png_exif_%d.png" % o, png(s, 2, 8, pre=[chunk(b"eXIf", orient(o, o % 2 == 0))])),
               "eXIf orientation %d" % o)
    record(write("png_exif_after_idat.png", png(s, 2, 8, post=[chunk(b"eXIf", e6)])),
           "eXIf 6 after the image data")
    for kind in (b"tEXt", b"zTXt", b"iTXt", b"iTXc"):
        record(write("png_raw_profile_%s.png" % kind.decode().lower(),
                     png(s, 2, 8, pre=[text(b"Raw profile type exif",
                                            raw_profile(b"Exif\0\0" + orient(8)), kind)])),
               "EXIF 8 in a %s 'Raw profile type exif' (ImageMagick)" % kind.decode())
    record(write("png_raw_profile_after.png",
                 png(s, 2, 8, post=[text(b"Raw profile type exif", raw_profile(b"Exif\0\0" + e6))])),
           "raw profile 6 after the image data")
    record(write("png_raw_profile_bare.png",
                 png(s, 2, 8, pre=[text(b"Raw profile type exif", raw_profile(orient(3, True)))])),
           "raw profile 3 without the Exif prefix")
    record(write("png_xmp_itxt.png", png(s, 2, 8, pre=[text(b"XML:com.adobe.xmp", xmp_attr(5), b"iTXt")])),
           "XMP tiff:Orientation=\"5\" in iTXt")
    record(write("png_xmp_elem.png", png(s, 2, 8, pre=[text(b"XML:com.adobe.xmp", xmp_elem(3), b"iTXt")])),
           "XMP <tiff:Orientation>3</...> in iTXt")
    record(write("png_xmp_ztxt.png", png(s, 2, 8, pre=[text(b"XML:com.adobe.xmp", xmp_attr(7), b"iTXc")])),
           "XMP 7 in a compressed iTXt")
    record(write("png_xmp_text.png", png(s, 2, 8, pre=[text(b"XML:com.adobe.xmp", xmp_attr(6))])),
           "XMP 6 in tEXt")
    record(write("png_xmp_after.png", png(s, 2, 8, post=[text(b"XML:com.adobe.xmp", xmp_attr(2), b"iTXt")])),
           "XMP 2 after the image data")
    record(write("png_exif1_xmp6.png", png(s, 2, 8, pre=[chunk(b"eXIf", orient(1)),
                                                          text(b"XML:com.adobe.xmp", xmp_attr(6), b"iTXt")])),
           "EXIF says 1, XMP 6: EXIF wins")
    no_tag = tiff([(0x010F, 2, 4, b"Cam\0")])
    record(write("png_exif_none_xmp6.png", png(s, 2, 8, pre=[chunk(b"eXIf", no_tag),
                                                              text(b"XML:com.adobe.xmp", xmp_attr(6), b"iTXt")])),
           "EXIF without the tag, XMP 6: XMP applies")
    record(write("png_raw3_xmp6.png", png(s, 2, 8, pre=[
        text(b"Raw profile type exif", raw_profile(b"Exif\0\0" + orient(3))),
        text(b"XML:com.adobe.xmp", xmp_attr(6), b"iTXt")])), "raw profile 3 and XMP 6: 3")
    record(write("png_exif5_raw3.png", png(s, 2, 8, pre=[
        chunk(b"eXIf", orient(5)), text(b"Raw profile type exif", raw_profile(b"Exif\0\0" + orient(3)))])),
           "eXIf 5 and raw profile 3: eXIf wins")
    record(write("png_xmp_9.png", png(s, 2, 8, pre=[text(b"XML:com.adobe.xmp", xmp_attr(9), b"iTXt")])),
           "XMP 9: left as it is")
    record(write("png_xmp_two.png", png(s, 2, 8, pre=[text(
        b"XML:com.adobe.xmp", xmp(b'<a tiff:Orientation="x"/><b tiff:Orientation="8"/>'), b"iTXt")])),
           "XMP: the first digit value, 8")
    record(write("png_exif9_xmp6.png", png(s, 2, 8, pre=[chunk(b"eXIf", orient(9)),
                                                          text(b"XML:com.adobe.xmp", xmp_attr(6), b"iTXt")])),
           "EXIF 9 (present, not applied) and XMP 6: neither")
    for typ, what in ((4, "LONG"), (8, "SSHORT"), (1, "BYTE (Pillow: bytes, not applied)")):
        record(write("png_exif_type%d.png" % typ, png(s, 2, 8, pre=[chunk(b"eXIf", orient(6, typ=typ))])),
               "EXIF orientation 6 as %s" % what)
    two = tiff([(0x0112, 3, 2, struct.pack(">HH", 8, 3))])
    record(write("png_exif_count2.png", png(s, 2, 8, pre=[chunk(b"eXIf", two)])), "SHORT count 2: the first")
    three = tiff([(0x0112, 3, 3, struct.pack(">HHH", 6, 3, 3))])
    record(write("png_exif_count3.png", png(s, 2, 8, pre=[chunk(b"eXIf", three)])),
           "SHORT count 3, stored after the IFD")
    dup = tiff([(0x0112, 3, 1, struct.pack(">H", 3)), (0x0112, 3, 1, struct.pack(">H", 8))])
    record(write("png_exif_repeated.png", png(s, 2, 8, pre=[chunk(b"eXIf", dup)])),
           "the tag twice: the last counts")
    gone = tiff([(0x010F, 2, 40, b"x" * 40), (0x0112, 3, 1, struct.pack(">H", 6))])
    gone = gone[:-30]
    record(write("png_exif_cut.png", png(s, 2, 8, pre=[chunk(b"eXIf", gone)])),
           "an entry's data past the end stops the IFD: no tag")


def png_damage():
    s = picture(48, 40, 10)
    good = png(s, 2, 8, post=[text(b"Comment", b"after the image data " * 4)])
    n = len(good)
    iend = good.rindex(b"IEND") - 4
    tx = good.rindex(b"tEXt") - 4
    idat = good.index(b"IDAT") - 4
    idat_end = good.index(b"IDAT") + 4 + struct.unpack(">I", good[idat:idat + 4])[0]
    cuts = {"sig": 5, "ihdr": 20, "before_idat": idat + 3, "idat_10": idat + 8 + (idat_end - idat) // 10,
            "idat_50": idat + (idat_end - idat) // 2, "idat_90": idat + (idat_end - idat) * 9 // 10,
            "deflate_tail": idat_end - 6, "adler": idat_end - 2, "idat_crc": idat_end + 2,
            "text_header": tx + 5, "text_data": tx + 20, "text_crc": iend - 2,
            "iend": iend + 6, "iend_crc": n - 1, "no_iend": iend}
    for what, at in cuts.items():
        record(write("png_cut_%s.png" % what, good[:at]), "truncated: %s (%d of %d bytes)" % (what, at, n))
    bad = bytearray(good)
    bad[idat_end + 1] ^= 0x55
    record(write("png_bad_idat_crc.png", bytes(bad)), "IDAT checksum wrong")
    bad = bytearray(good)
    bad[n - 2] ^= 0x55
    record(write("png_bad_iend_crc.png", bytes(bad)), "IEND checksum wrong")
    bad = bytearray(good)
    bad[30] ^= 0x55
    record(write("png_bad_ihdr_crc.png", bytes(bad)), "IHDR checksum wrong")
    bad = bytearray(good)
    bad[idat + 8 + 40] ^= 0xFF
    body = bytes(bad[idat + 4:idat_end])
    bad[idat_end:idat_end + 4] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    record(write("png_bad_deflate.png", bytes(bad)), "a byte of the deflate data flipped")
    bad = bytearray(good)
    bad[idat_end - 1] ^= 0x55
    bad[idat_end:idat_end + 4] = struct.pack(">I", zlib.crc32(bytes(bad[idat + 4:idat_end])) & 0xFFFFFFFF)
    record(write("png_bad_adler.png", bytes(bad)), "the zlib check wrong")
    z = zlib.compress(b"".join(b"\0" + pack_row(r, 8) for r in s.reshape(40, -1)))
    extra = (good[:idat] + chunk(b"IDAT", z + b"extra bytes after the zlib stream") +
             good[idat_end + 4:])
    record(write("png_extra_data.png", extra), "bytes after the zlib stream in IDAT")
    more = good[:idat_end + 4] + chunk(b"IDAT", zlib.compress(b"\0" * 99)) + good[idat_end + 4:]
    record(write("png_extra_idat.png", more), "a second zlib stream in an extra IDAT")
    junk = good[:idat_end + 4] + b"\0\0\0\x04J@NK" + b"1234" + b"\0\0\0\0" + good[idat_end + 4:]
    record(write("png_bad_chunk_after.png", junk), "a chunk with a bad name after the image data")


def jpeg_kinds():
    a = picture(45, 37, 20).astype(np.uint8)
    im = Image.fromarray(a)
    for name, kw in [("420", dict(quality=90)), ("444", dict(quality=95, subsampling=0)),
                     ("422", dict(quality=85, subsampling=1)), ("q20", dict(quality=20)),
                     ("progressive", dict(quality=90, progressive=True)),
                     ("optimized", dict(quality=75, optimize=True))]:
        record(write("jpeg_pil_%s.jpg" % name, pillow_jpeg(im, **kw)), "Pillow %s" % name)
    record(write("jpeg_pil_gray.jpg", pillow_jpeg(im.convert("L"), quality=90)), "Pillow grayscale")
    cmyk = Image.fromarray(picture(45, 37, 21, 4).astype(np.uint8), "CMYK")
    data = pillow_jpeg(cmyk, quality=90)
    record(write("jpeg_cmyk.jpg", data), "CMYK with an Adobe marker (Pillow)")
    o = offset_of(data, 0xEE)
    n = struct.unpack(">H", data[o + 2:o + 4])[0]
    record(write("jpeg_cmyk_no_adobe.jpg", data[:o] + data[o + 2 + n:]), "CMYK without the Adobe marker")
    ycck = os.path.join(FIXTURES, "jpeg_ycck.jpg")
    if os.path.exists(ycck):
        shutil.copy(ycck, path("jpeg_ycck.jpg"))
        record("jpeg_ycck.jpg", "YCCK (Adobe transform 2), tests/fixtures/image")
    for tag, args, pic in [("baseline", ["-quality", "85"], a),
                           ("restart1", ["-restart", "1"], a),
                           ("restart3b", ["-restart", "3B", "-sample", "2x1"], a),
                           ("arith", ["-arithmetic"], a),
                           ("arith_prog", ["-arithmetic", "-progressive"], a),
                           ("progressive", ["-progressive", "-restart", "2B"], a),
                           ("440", ["-sample", "1x2"], a),
                           ("411", ["-sample", "4x1"], a),
                           ("rgb", ["-rgb"], a),
                           ("gray", ["-grayscale"], a),
                           ("gray_pgm", ["-quality", "60"], a[..., 1]),
                           ("float", ["-dct", "float", "-smooth", "10"], a)]:
        record(cjpeg(args, pic, "jpeg_cjpeg_%s.jpg" % tag), "cjpeg %s" % " ".join(args))
    jpegtran(["-progressive", "-restart", "1"], "jpeg_pil_444.jpg", "jpeg_tran_prog_restart.jpg")
    record("jpeg_tran_prog_restart.jpg", "jpegtran -progressive -restart 1")
    jpegtran(["-arithmetic", "-restart", "2"], "jpeg_pil_420.jpg", "jpeg_tran_arith_restart.jpg")
    record("jpeg_tran_arith_restart.jpg", "jpegtran -arithmetic -restart 2")
    for size in [(1, 1), (1, 17), (17, 1), (33, 7)]:
        tiny = Image.fromarray(picture(size[0], size[1], 22).astype(np.uint8))
        record(write("jpeg_%dx%d.jpg" % size, pillow_jpeg(tiny, quality=90)), "%dx%d" % size)


def jpeg_orientation():
    a = picture(40, 24, 23).astype(np.uint8)
    im = Image.fromarray(a)
    base = pillow_jpeg(im, quality=92)
    for o in range(1, 9):
        record(write("jpeg_exif_%d.jpg" % o,
                     insert_after_soi(base, app(0xE1, b"Exif\0\0" + orient(o, o % 3 == 0)))),
               "EXIF orientation %d" % o)
    xmp_seg = app(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + xmp_attr(6))
    record(write("jpeg_xmp_6.jpg", insert_after_soi(base, xmp_seg)),
           "XMP 6 in APP1 only: Pillow 9.4 does not read it")
    record(write("jpeg_xmp_then_exif.jpg",
                 insert_after_soi(base, xmp_seg, app(0xE1, b"Exif\0\0" + orient(8)))),
           "XMP APP1, then EXIF 8 in a second APP1")
    record(write("jpeg_two_exif.jpg", insert_after_soi(base, app(0xE1, b"Exif\0\0" + orient(3)),
                                                       app(0xE1, b"Exif\0\0" + orient(6)))),
           "two EXIF APP1: the first counts")
    record(write("jpeg_exif_pillow.jpg", pillow_jpeg(im, quality=92, exif=Image.Exif().tobytes())),
           "Pillow's empty EXIF")


def jpeg_damage():
    a = picture(64, 48, 24).astype(np.uint8)
    im = Image.fromarray(a)
    good = pillow_jpeg(im, quality=90)
    n = len(good)
    sos = offset_of(good, 0xDA)
    dht = offset_of(good, 0xC4)
    sof = offset_of(good, 0xC0)
    record(write("jpeg_junk_before_sos.jpg", good[:sos] + b"\x00\x11\x22\x33" + good[sos:]),
           "4 extraneous bytes before SOS")
    record(write("jpeg_junk_before_dht.jpg", good[:dht] + b"junk" * 3 + good[dht:]),
           "12 extraneous bytes before DHT")
    record(write("jpeg_junk_after_soi.jpg", good[:2] + b"\x00\x00garbage" + good[2:]),
           "junk between SOI and the first marker")
    record(write("jpeg_junk_before_eoi.jpg", good[:-2] + b"\x12\x34\x56" + good[-2:]),
           "3 extraneous bytes before EOI")
    record(write("jpeg_fill_ff.jpg", good[:sos] + b"\xff" * 7 + good[sos:]), "0xFF fill before a marker")
    exif = b"Exif\0\0" + orient(6)
    short = bytes([0xFF, 0xE1]) + struct.pack(">H", len(exif) + 2 - 10) + exif
    record(write("jpeg_bad_exif_length.jpg", insert_after_soi(good, short)),
           "an APP1 EXIF whose length is 10 short: its tail is junk before the next marker")
    ps = app(0xED, b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0\0\0\0\0")
    withps = insert_after_soi(good, ps)
    record(write("jpeg_photoshop_junk.jpg", withps[:2 + len(ps)] + b"\x00" * 5 + withps[2 + len(ps):]),
           "an APP13 Photoshop block, then junk")
    rst = open(path(cjpeg(["-restart", "2B"], a, "jpeg_rst_base.jpg")), "rb").read()
    os.remove(path("jpeg_rst_base.jpg"))
    bad = bytearray(rst)
    i = bad.index(b"\xff\xd1")
    bad[i + 1] = 0xD5
    record(write("jpeg_bad_restart.jpg", bytes(bad)), "a restart marker out of sequence")
    bad = bytearray(rst)
    i = bad.index(b"\xff\xd2")
    del bad[i:i + 2]
    record(write("jpeg_missing_restart.jpg", bytes(bad)), "a restart marker missing")
    bad = bytearray(good)
    for k in range(5):
        at = sos + 40 + k * 97
        if bad[at] != 0xFF and bad[at - 1] != 0xFF:
            bad[at] ^= 0x5A
    record(write("jpeg_corrupt_scan.jpg", bytes(bad)), "bytes of the scan changed (bad Huffman codes)")
    mid = sos + (n - sos) // 2
    while good[mid - 1] == 0xFF:
        mid += 1
    record(write("jpeg_eoi_mid_scan.jpg", good[:mid] + b"\xff\xd9"),
           "EOI in the middle of the scan (premature end of data segment)")
    record(write("jpeg_trailing_garbage.jpg", good + b"garbage after EOI" * 3), "bytes after EOI")
    cuts = {"soi": 2, "app0": 10, "before_sof": sof - 1, "before_sos": sos, "sos_header": sos + 6,
            "scan_5": sos + 14 + (n - sos) // 20, "scan_50": sos + (n - sos) // 2,
            "scan_90": sos + (n - sos) * 9 // 10, "no_eoi": n - 2, "half_eoi": n - 1}
    for what, at in cuts.items():
        record(write("jpeg_cut_%s.jpg" % what, good[:at]), "truncated: %s (%d of %d bytes)" % (what, at, n))
    prog = pillow_jpeg(im, quality=90, progressive=True)
    second = prog.index(b"\xff\xda", prog.index(b"\xff\xda") + 2)
    for what, at in {"first_scan": second, "mid": len(prog) // 2, "no_eoi": len(prog) - 2}.items():
        record(write("jpeg_prog_cut_%s.jpg" % what, prog[:at]), "progressive truncated: %s" % what)
    arith = open(path(cjpeg(["-arithmetic"], a, "jpeg_arith_base.jpg")), "rb").read()
    os.remove(path("jpeg_arith_base.jpg"))
    record(write("jpeg_arith_cut.jpg", arith[:len(arith) * 2 // 3]), "arithmetic truncated")


def real_files():
    """Sample images other packages ship, where installed."""
    found = []
    for pattern in ["/usr/lib/python3/dist-packages/sklearn/datasets/images/*.jpg",
                    "/usr/share/doc/libpng-dev/examples/pngtest.png",
                    "/usr/share/cmake-*/Templates/Windows/*.png",
                    "/usr/share/gnuplot/gnuplot/*/js/*.png",
                    "/usr/lib/python3/dist-packages/scipy/ndimage/tests/dots.png"]:
        found += sorted(glob.glob(pattern))
    for src in found:
        parts = src.split("/")
        pkg = next((p for p in ("sklearn", "libpng-dev", "gnuplot", "scipy") if p in parts), "cmake")
        name = "real_%s_%s" % (pkg.replace("-dev", ""), parts[-1])
        shutil.copy(src, path(name))
        record(name, src)


def main():
    os.makedirs(OUT, exist_ok=True)
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    png_types()
    png_chunks()
    png_orientation()
    png_damage()
    jpeg_kinds()
    jpeg_orientation()
    jpeg_damage()
    real_files()
    with open(path("corpus.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    kinds = [ln.split("\t")[1] for ln in lines]
    size = sum(os.path.getsize(path(ln.split("\t")[0])) for ln in lines)
    print("gen_image_corpus: %d files (%d bytes): Pillow decodes %d, refuses %d, %d 16-bit gray"
          % (len(lines), size, kinds.count("pillow"), kinds.count("refused"), kinds.count("differ16")))


if __name__ == "__main__":
    main()
