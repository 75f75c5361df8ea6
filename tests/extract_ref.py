#!/usr/bin/python3
"""Independent reference for `vggfeat extract` (run by tests/test_extract_cli.c).

    extract_ref.py nets OUTDIR
        Write two reduced-width VGG nets with seeded random weights as
        safetensors (a writer of its own, numpy only): netD (config D,
        width 1/16, fc 32, input 64: fc6 is a 2x2 conv, torchvision
        preprocessing) and netE (config E, width 1/16, fc 32, input 32,
        Caffe preprocessing: BGR, 0-255, mean pixel), plus netD_tv, netD's
        tensors under torchvision's names with no metadata.

    extract_ref.py check STORE --nets A.safetensors,B.safetensors --scales 64,96
                   [--aggregate stack|average] [--layer fc7|fc6|pool5]
                   [--no-flip] [--no-l2 | --l2 final|per-net|none] [--tol 1e-3]
                   [--list FILE] [--with-image] [+ STORE2 ...]
        Read STORE with numpy alone (the layout in docs/feature-store.md),
        verify every row's CRC-32 and the header's, recompute each row's
        descriptor with PyTorch (Pillow BILINEAR resize to smallest side Q
        with torchvision's rounding; dense forward with fc6 as a k x k
        convolution and fc7 as 1x1; global average pool; flip average;
        scales stacked or averaged; nets stacked; L2 of the whole row, or
        with --l2 per-net of each net's part and then of the row) in float64, and
        compare: exit 0 if every row's relative L2 error is below tol.
        With --list, the row names and labels must be the list's.  A row
        named "path#x1,y1,x2,y2" is the descriptor of that box of the image
        as shown (Pillow's ImageOps.exif_transpose, then Image.crop with the
        box: 0-based, x2 and y2 exclusive), made as a whole image's; with
        --with-image the whole image's descriptor follows it and the row is
        L2-normalised again (each part is normalised as it would be alone).

Exit status 77 means a needed module (torch) is missing.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np

CFG = {
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def scaled(c, width):
    return max(1, int(np.floor(c * width + 0.5)))


def write_safetensors(path, tensors, meta):
    """tensors: list of (name, float32 array)."""
    header = {}
    if meta:
        header["__metadata__"] = meta
    offset = 0
    blobs = []
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32"
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(t["shape"])
    return out, meta


def make_net(config, width, fc, classes, input_size, seed):
    rng = np.random.default_rng(seed)
    tensors = []
    cin, idx = 3, 0
    for v in CFG[config]:
        if v == "M":
            idx += 1
            continue
        cout = scaled(v, width)
        std = np.sqrt(2.0 / (cin * 9))
        tensors.append(("features.%d.weight" % idx, rng.normal(0, std, (cout, cin, 3, 3))))
        tensors.append(("features.%d.bias" % idx, rng.normal(0.02, 0.05, cout)))
        cin = cout
        idx += 2
    k = input_size // 32
    for key, i, o in (("classifier.0", cin * k * k, fc), ("classifier.3", fc, fc),
                      ("classifier.6", fc, classes)):
        tensors.append((key + ".weight", rng.normal(0, np.sqrt(2.0 / i), (o, i))))
        tensors.append((key + ".bias", rng.normal(0.02, 0.05, o)))
    return tensors


def cmd_nets(outdir):
    os.makedirs(outdir, exist_ok=True)
    d = make_net("D", 1 / 16, 32, 10, 64, 16)
    write_safetensors(os.path.join(outdir, "netD.safetensors"), d, {
        "format": "vggfeat-weights-1", "config": "D", "width": "0.0625", "fc_dim": "32",
        "num_classes": "10", "input_size": "64", "pool_round": "floor",
        "channel_order": "RGB", "input_range": "1", "mean": "0.485,0.456,0.406",
        "std": "0.229,0.224,0.225"})
    e = make_net("E", 1 / 16, 32, 10, 32, 19)
    write_safetensors(os.path.join(outdir, "netE.safetensors"), e, {
        "format": "vggfeat-weights-1", "config": "E", "width": "0.0625", "fc_dim": "32",
        "num_classes": "10", "input_size": "32", "pool_round": "floor",
        "channel_order": "BGR", "input_range": "255", "mean": "103.939,116.779,123.68",
        "std": "1,1,1"})
    write_safetensors(os.path.join(outdir, "netD_tv.safetensors"), d, None)
    return 0


# ---------------------------------------------------------------- store

def read_store(path):
    """The documented layout, with numpy alone."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        fixed = f.read(64)
        magic, version, dim, nb, lb, rec, off, jl, hcrc = struct.unpack("<8sIIIIQQII", fixed[:48])
        assert magic == b"VGGFEAT\0", "bad magic"
        assert version == 1
        f.seek(0)
        head = bytearray(f.read(off))
    head[44:48] = b"\0\0\0\0"
    assert zlib.crc32(bytes(head)) == hcrc, "header CRC-32 does not match"
    info = json.loads(bytes(head[64:64 + jl]))
    dt = np.dtype([("index", "<u8"), ("crc", "<u4"), ("name_len", "<u2"), ("label_len", "<u2"),
                   ("name", "S%d" % nb), ("label", "S%d" % lb), ("x", "<f4", (dim,))])
    assert dt.itemsize == rec == info["layout"]["record_bytes"]
    assert off == info["layout"]["data_offset"]
    rows = np.memmap(path, dtype=dt, mode="r", offset=off, shape=((size - off) // rec,))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=off, shape=(rows.shape[0], rec))
    for r in range(rows.shape[0]):
        b = bytearray(raw[r].tobytes())
        b[8:12] = b"\0\0\0\0"
        assert zlib.crc32(bytes(b)) == int(rows[r]["crc"]), "row %d CRC-32 does not match" % r
    return info, rows


# ---------------------------------------------------------------- reference

def build(torch, path):
    weights, meta = read_safetensors(path)
    config = meta["config"]
    width = float(meta["width"])
    k = int(meta["input_size"]) // 32
    t = {name: torch.from_numpy(np.array(a, dtype=np.float64)) for name, a in weights.items()}
    layers = []
    idx = 0
    for v in CFG[config]:
        if v == "M":
            layers.append(("pool", None, None))
            idx += 1
        else:
            layers.append(("conv", t["features.%d.weight" % idx], t["features.%d.bias" % idx]))
            idx += 2
    c5 = scaled(512, width)
    fc = int(meta["fc_dim"])
    fc6 = (t["classifier.0.weight"].reshape(fc, c5, k, k), t["classifier.0.bias"])
    fc7 = (t["classifier.3.weight"].reshape(fc, fc, 1, 1), t["classifier.3.bias"])
    pre = {"order": meta["channel_order"], "range": float(meta["input_range"]),
           "mean": [float(v) for v in meta["mean"].split(",")],
           "std": [float(v) for v in meta["std"].split(",")]}
    return layers, fc6, fc7, pre


def forward(torch, net, x, layer):
    F = torch.nn.functional
    layers, fc6, fc7, _ = net
    for kind, w, b in layers:
        if kind == "conv":
            x = F.relu(F.conv2d(x, w, b, padding=1))
        else:
            x = F.max_pool2d(x, 2, 2)
    if layer == "pool5":
        return x
    x = F.relu(F.conv2d(x, fc6[0], fc6[1]))
    if layer == "fc6":
        return x
    return F.relu(F.conv2d(x, fc7[0], fc7[1]))


def to_input(torch, img, pre):
    a = np.asarray(img, dtype=np.float64)            # (H, W, 3) RGB
    if pre["order"] == "BGR":
        a = a[:, :, ::-1]
    a = a / 255.0 * pre["range"]
    a = (a - np.array(pre["mean"])) / np.array(pre["std"])
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]


def descriptor(torch, nets, img, scales, aggregate, layer, flip, l2, per_net=False):
    import torchvision.transforms.functional as TF
    from torchvision.transforms import InterpolationMode
    parts = []
    for net in nets:
        per_scale = []
        for q in scales:
            r = TF.resize(img, q, interpolation=InterpolationMode.BILINEAR)
            x = to_input(torch, r, net[3])
            v = forward(torch, net, x, layer).mean(dim=(2, 3))[0]
            if flip:
                v = (v + forward(torch, net, torch.flip(x, dims=[3]), layer).mean(dim=(2, 3))[0]) / 2
            per_scale.append(v)
        if aggregate == "stack":
            parts.append(torch.cat(per_scale))
        else:
            parts.append(torch.stack(per_scale).mean(dim=0))
        if per_net:
            parts[-1] = parts[-1] / parts[-1].norm()
    d = torch.cat(parts)
    if l2:
        d = d / d.norm()
    return d.numpy()


def row_descriptor(torch, nets, name, scales, opts, flip, l2, per_net, with_image):
    """The row named name: an image, or "path#x1,y1,x2,y2", a box of it."""
    from PIL import Image, ImageOps
    path, box = name, None
    if "#" in name:
        path, b = name.rsplit("#", 1)
        box = tuple(int(v) for v in b.split(","))
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    args = (scales, opts["--aggregate"], opts["--layer"], flip, l2, per_net)
    d = descriptor(torch, nets, img.crop(box) if box else img, *args)
    if not with_image:
        return d
    d = np.concatenate([d, descriptor(torch, nets, img, *args)])
    return d / np.linalg.norm(d) if l2 else d


def cmd_check(args):
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        print("extract_ref: %s; skipping" % e)
        return 77
    torch.set_num_threads(1)
    # several checks in one run (one start of torch): separated by "+"
    groups, cur = [], []
    for a in args:
        if a == "+":
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    groups.append(cur)
    rc = 0
    for g in groups:
        rc |= check_one(torch, g)
    return rc


def check_one(torch, args):
    store = args[0]
    opts = {"--aggregate": "stack", "--layer": "fc7", "--tol": "1e-3", "--list": None,
            "--l2": "final"}
    flags = set()
    i = 1
    while i < len(args):
        if args[i] in ("--no-flip", "--no-l2", "--with-image"):
            flags.add(args[i])
            i += 1
        else:
            opts[args[i]] = args[i + 1]
            i += 2
    nets = [build(torch, p) for p in opts["--nets"].split(",")]
    scales = [int(q) for q in opts["--scales"].split(",")]
    tol = float(opts["--tol"])
    with_image = "--with-image" in flags
    if "--no-l2" in flags:
        opts["--l2"] = "none"
    flip, l2 = "--no-flip" not in flags, opts["--l2"] != "none"
    per_net = opts["--l2"] == "per-net"
    info, rows = read_store(store)
    desc = info["desc"]
    assert desc["scales"] == scales, desc
    assert desc["aggregate"] == opts["--aggregate"] and desc["layer"] == opts["--layer"]
    assert desc["flip"] == flip and desc["l2"] == l2
    assert desc.get("l2_per_net", False) == per_net, desc
    assert len(desc["nets"]) == len(nets)
    boxes = any("#" in r["name"].decode() for r in rows)
    assert desc.get("region", "") == ("box+image" if with_image else "box" if boxes else ""), desc
    if opts["--list"]:
        want = [line.rstrip("\n").split("\t") for line in open(opts["--list"]) if line.strip()]
        want = [(w[0] + ("#" + w[2][4:] if len(w) > 2 else ""), w[1] if len(w) > 1 else "")
                for w in want]
        got = [(r["name"].decode(), r["label"].decode()) for r in rows]
        assert want == got, (want, got)
    worst = 0.0
    for r in rows:
        name = r["name"].decode()
        ref = row_descriptor(torch, nets, name, scales, opts, flip, l2, per_net, with_image)
        x = np.asarray(r["x"], dtype=np.float64)
        assert x.shape == ref.shape, (x.shape, ref.shape)
        err = np.linalg.norm(x - ref) / np.linalg.norm(ref)
        worst = max(worst, err)
        print("%-40s rel L2 error %.3g" % (name, err))
    print("%s: rows %d, worst relative L2 error %.3g (tolerance %g)" % (store, len(rows), worst, tol))
    if len(rows) == 0 or not worst < tol:
        return 1
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "nets":
        return cmd_nets(sys.argv[2])
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        return cmd_check(sys.argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
