#!/usr/bin/env python3
"""Reference files for the Caffe conversion tests (test_convert*.c).

Writes .caffemodel files with Debian's python3-protobuf from
tests/caffe_schema.proto (compiled with protoc into a temporary folder at
run time), and the expected results computed independently of vggfeat's
C code: the weights under torchvision's keys, and forward passes in PyTorch
with Caffe's conventions (BGR, 0-255 minus the mean pixel, max-pooling
rounded up).

    gen_caffe_fixtures.py fixtures [DIR]   the committed reduced-width set
                                           (default tests/fixtures/convert)
    gen_caffe_fixtures.py full CONFIG OUT.caffemodel [--seed N]
                                           a full-size random-weight D or E
                                           (old V1 form, as Oxford's files)
    gen_caffe_fixtures.py check-full CONFIG IN.safetensors [--seed N]
                                           compare a converted full-size file
                                           with the weights of `full`
    gen_caffe_fixtures.py pth DIR          torchvision/timm .pth files of a
                                           reduced VGG and their forward
    gen_caffe_fixtures.py seeds [DIR]      tiny caffemodels for the fuzzer
                                           (default tests/fuzz/corpus/caffe)

Exit status 0 on success; check-full prints what differs and exits 1.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pipelines"))
from pth2safetensors import write_safetensors  # noqa: E402

BLOCKS = {
    "D": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    "E": [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4],
}
MEAN_BGR = np.array([103.939, 116.779, 123.68])


def compile_schema():
    out = tempfile.mkdtemp(prefix="caffe_schema_")
    subprocess.check_call(["protoc", "--python_out=" + out, "-I" + HERE,
                           os.path.join(HERE, "caffe_schema.proto")])
    sys.path.insert(0, out)
    import caffe_schema_pb2  # noqa: E402
    return caffe_schema_pb2


def scaled(c, width):
    return max(1, int(np.floor(c * width + 0.5)))


def layer_list(config, width, fc_dim, classes, input_size):
    """(caffe name, torchvision key, kind, cout, cin, k) of every weight layer."""
    out = []
    cin, idx = 3, 0
    for b, block in enumerate(BLOCKS[config]):
        for i, c in enumerate(block):
            cout = scaled(c, width)
            out.append(("conv%d_%d" % (b + 1, i + 1), "features.%d" % idx, "conv", cout, cin, 3))
            cin = cout
            idx += 2
        idx += 1
    k = input_size // 32
    out.append(("fc6", "classifier.0", "fc", fc_dim, cin, k))
    out.append(("fc7", "classifier.3", "fc", fc_dim, fc_dim, 1))
    out.append(("fc8", "classifier.6", "fc", classes, fc_dim, 1))
    return out


def random_weights(layers, seed):
    """{caffe name: (weight in Caffe's layout, bias)}, float32.  Caffe's fc
    weight is (out, in) with in = c * k * k + y * k + x."""
    rng = np.random.default_rng(seed)
    w = {}
    for name, _key, kind, cout, cin, k in layers:
        fan = cin * k * k
        shape = (cout, cin, k, k) if kind == "conv" else (cout, fan)
        wt = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan))
        bias = rng.standard_normal(cout, dtype=np.float32) * np.float32(0.5)
        w[name] = (wt, bias)
    return w


def torchvision_tensors(layers, w):
    t = []
    for name, key, kind, cout, cin, k in layers:
        wt, bias = w[name]
        if name == "fc6":
            wt = wt.reshape(cout, cin, k, k)
        t.append((key + ".weight", wt))
        t.append((key + ".bias", bias))
    return t


# ---- caffemodel writers ----

def legacy_dims(arr):
    """Caffe's legacy (num, channels, height, width) of a weight or bias."""
    return (1,) * (4 - arr.ndim) + tuple(arr.shape)


def v1_blob(pb, arr, kind):
    b = pb.BlobProto()
    b.num, b.channels, b.height, b.width = legacy_dims(arr)
    b.data.extend(arr.ravel())
    return b


def new_blob(pb, arr):
    b = pb.BlobProto()
    b.shape.dim.extend(arr.shape)
    b.data.extend(arr.ravel())
    return b


def unpacked_blob(pb, arr, legacy):
    b = pb.BlobProtoUnpacked()
    if legacy:
        dims = (1,) * (4 - arr.ndim) + arr.shape
        b.num, b.channels, b.height, b.width = dims
    else:
        b.shape.dim.extend(arr.shape)
    b.data.extend(arr.ravel())
    b.x64 = 0x0123456789abcdef
    b.x32 = 7
    b.extra.raw = b"\x00\xff\x12"
    return b


def extra(pb):
    e = pb.Extra()
    e.f64 = 1 << 60
    e.f32 = 12345
    e.sv = -77
    e.raw = bytes(range(40))
    e.Grp.a = -3
    e.Grp.s = "group"
    e.Grp.Inner.d = 2.5
    return e


def layer_sequence(config, layers):
    """The layers in order, with the non-weight ones between, as
    (name, role, bottom, top) where role is conv/fc/relu/pool/drop/prob."""
    seq = []
    prev = "data"
    blocks = BLOCKS[config]
    li = 0
    for b, block in enumerate(blocks):
        for i in range(len(block)):
            name = layers[li][0]
            seq.append((name, "conv", prev, name))
            seq.append(("relu%d_%d" % (b + 1, i + 1), "relu", name, name))
            prev = name
            li += 1
        seq.append(("pool%d" % (b + 1), "pool", prev, "pool%d" % (b + 1)))
        prev = "pool%d" % (b + 1)
    for n in ("fc6", "fc7"):
        seq.append((n, "fc", prev, n))
        seq.append(("relu" + n[2:], "relu", n, n))
        seq.append(("drop" + n[2:], "drop", n, n))
        prev = n
    seq.append(("fc8", "fc", prev, "fc8"))
    seq.append(("prob", "prob", "fc8", "prob"))
    return seq


V1_TYPES = {"conv": "CONVOLUTION", "fc": "INNER_PRODUCT", "relu": "RELU", "pool": "POOLING",
            "drop": "DROPOUT", "prob": "SOFTMAX"}
NEW_TYPES = {"conv": "Convolution", "fc": "InnerProduct", "relu": "ReLU", "pool": "Pooling",
             "drop": "Dropout", "prob": "Softmax"}


def net_header(pb, name, input_size):
    net = pb.NetParameter()
    net.name = name
    net.input.append("data")
    net.input_dim.extend([10, 3, input_size, input_size])
    return net.SerializeToString()


def v1_layer_message(pb, entry, w, with_blobs=True):
    name, role, bottom, top = entry
    L = pb.V1LayerParameter()
    L.name = name
    L.type = getattr(pb.V1LayerParameter, V1_TYPES[role])
    L.bottom.append(bottom)
    L.top.append(top)
    if role in ("conv", "fc"):
        wt, bias = w[name]
        if with_blobs:
            L.blobs.append(v1_blob(pb, wt, role))
            L.blobs.append(v1_blob(pb, bias, role))
        L.blobs_lr.extend([1, 2])
        L.weight_decay.extend([1, 0])
        if role == "conv":
            L.convolution_param.num_output = wt.shape[0]
            L.convolution_param.pad.append(1)
            L.convolution_param.kernel_size.append(3)
        else:
            L.inner_product_param.num_output = wt.shape[0]
    elif role == "pool":
        L.pooling_param.pool = pb.PoolingParameter.MAX
        L.pooling_param.kernel_size = 2
        L.pooling_param.stride = 2
    elif role == "drop":
        L.dropout_param.dropout_ratio = 0.5
    return L


def v1_layer_bytes(pb, entry, w):
    net = pb.NetParameter()
    net.layers.append(v1_layer_message(pb, entry, w))
    return net.SerializeToString()


def new_layer_bytes(pb, entry, w, fc6_4d=False):
    name, role, bottom, top = entry
    net = pb.NetParameter()
    L = net.layer.add()
    L.name = name
    L.type = NEW_TYPES[role]
    L.bottom.append(bottom)
    L.top.append(top)
    if role in ("conv", "fc"):
        wt, bias = w[name]
        L.blobs.append(new_blob(pb, wt))
        L.blobs.append(new_blob(pb, bias))
        if role == "conv":
            L.convolution_param.num_output = wt.shape[0]
            L.convolution_param.pad.append(1)
            L.convolution_param.kernel_size.append(3)
        else:
            L.inner_product_param.num_output = wt.shape[0]
    elif role == "pool":
        L.pooling_param.pool = pb.PoolingParameter.MAX
        L.pooling_param.kernel_size = 2
        L.pooling_param.stride = 2
    return net.SerializeToString()


def varint(n):
    from google.protobuf.internal.encoder import _VarintBytes
    return _VarintBytes(n)


def framed_v1_layer_chunks(pb, entry, w):
    """The bytes of v1_layer_bytes() as a list of pieces, for a full-size
    model, without making protobuf convert hundreds of millions of floats
    one at a time or copying them: the messages come from protobuf; only the
    length-delimited framing of the blobs and their packed float data
    (field 5, after fields 1-4) is written here, in the order protobuf
    serializes fields (by number).  write_caffemodel() checks that both
    give the same bytes."""
    name, role = entry[0], entry[1]
    L = v1_layer_message(pb, entry, w, with_blobs=False)
    lo, hi = pb.V1LayerParameter(), pb.V1LayerParameter()
    hi.CopyFrom(L)
    for f in ("bottom", "top", "name", "type"):
        hi.ClearField(f)
    lo.bottom.extend(L.bottom)
    lo.top.extend(L.top)
    lo.name = L.name
    lo.type = L.type
    inner = [lo.SerializeToString()]
    if role in ("conv", "fc"):
        for arr in w[name]:
            hb = pb.BlobProto()
            hb.num, hb.channels, hb.height, hb.width = legacy_dims(arr)
            head = hb.SerializeToString()
            data = memoryview(np.ascontiguousarray(arr, dtype="<f4")).cast("B")
            blob = [head, varint(5 << 3 | 2), varint(len(data)), data]
            inner += [varint(6 << 3 | 2), varint(sum(len(x) for x in blob))] + blob
    inner.append(hi.SerializeToString())
    return [varint(2 << 3 | 2), varint(sum(len(x) for x in inner))] + inner


def write_caffemodel(path, pb, config, layers, w, form, input_size):
    """form: v1 (legacy dims), new (BlobShape), or mixed (both forms,
    unpacked data, fields the reader must skip, fc6 as a 4-D convolution)."""
    seq = layer_sequence(config, layers)
    name = "VGG_ILSVRC_%d_layers" % (16 if config == "D" else 19)
    chunks = [net_header(pb, name, input_size)]
    for i, entry in enumerate(seq):
        lname, role = entry[0], entry[1]
        if form == "v1":
            chunks.append(v1_layer_bytes(pb, entry, w))
            assert chunks[-1] == b"".join(framed_v1_layer_chunks(pb, entry, w)), entry
        elif form == "new":
            chunks.append(new_layer_bytes(pb, entry, w))
        else:
            pick = i % 4
            if lname == "fc6":
                # a fully convolutional fc6: Convolution, weights (fc, C, k, k)
                cout, cin, k = layers[-3][3], layers[-3][4], layers[-3][5]
                wt, bias = w["fc6"]
                net = pb.NetParameter()
                L = net.layer.add()
                L.name = "fc6"
                L.type = "Convolution"
                L.blobs.append(new_blob(pb, wt.reshape(cout, cin, k, k)))
                L.blobs.append(new_blob(pb, bias))
                chunks.append(net.SerializeToString())
            elif role in ("conv", "fc") and pick == 1:
                # new form, unpacked data and dims, unknown fields inside
                u = pb.NetParameterUnpacked()
                L = u.layer.add()
                L.name = lname
                L.type = NEW_TYPES[role]
                wt, bias = w[lname]
                L.blobs.append(unpacked_blob(pb, wt, legacy=False))
                L.blobs.append(unpacked_blob(pb, bias, legacy=True))
                L.extra.CopyFrom(extra(pb))
                L.Odd.u = 99
                u.extra.CopyFrom(extra(pb))
                u.x32 = 5
                u.Top.n = -1
                chunks.append(u.SerializeToString())
            elif role in ("conv", "fc") and pick == 3:
                # V1 form, unpacked data with legacy dims
                u = pb.NetParameterUnpacked()
                L = u.layers.add()
                L.name = lname
                L.type = getattr(pb.V1LayerParameter, V1_TYPES[role])
                wt, bias = w[lname]
                L.blobs.append(unpacked_blob(pb, wt, legacy=True))
                L.blobs.append(unpacked_blob(pb, bias, legacy=True))
                L.extra.CopyFrom(extra(pb))
                chunks.append(u.SerializeToString())
            elif pick == 2:
                chunks.append(v1_layer_bytes(pb, entry, w))
            else:
                chunks.append(new_layer_bytes(pb, entry, w))
    data = b"".join(chunks)
    # the whole file must parse as one NetParameter, by protobuf itself
    check = pb.NetParameter()
    check.ParseFromString(data)
    got = [l.name for l in check.layers] + [l.name for l in check.layer]
    assert sorted(got) == sorted(e[0] for e in seq), "layers lost in %s" % path
    with open(path, "wb") as f:
        f.write(data)


# ---- forward pass with Caffe's conventions (float64 PyTorch) ----

def test_image(h, w):
    """RGB 0..255 (h, w, 3): px = (7x + 13y + 29c + (x y mod 11)) mod 256,
    the same formula as test_image() in test_convert.c."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return ((7 * x + 13 * y + 29 * c + (x * y) % 11) % 256).astype(np.float32)


def caffe_forward(config, layers, w, image):
    """image: (H, W, 3) RGB 0..255.  Returns fc7 and scores maps (1, C, h, w)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(image[:, :, ::-1].astype(np.float64) - MEAN_BGR)
    x = x.permute(2, 0, 1).unsqueeze(0).contiguous()
    li = 0
    for block in BLOCKS[config]:
        for _ in block:
            wt, bias = w[layers[li][0]]
            x = F.relu(F.conv2d(x, torch.from_numpy(wt.astype(np.float64)),
                                torch.from_numpy(bias.astype(np.float64)), padding=1))
            li += 1
        x = F.max_pool2d(x, 2, 2, ceil_mode=True)
    fc = [l for l in layers if l[2] == "fc"]
    outs = []
    for n, (name, _key, _kind, cout, cin, k) in enumerate(fc):
        wt, bias = w[name]
        wt = torch.from_numpy(wt.astype(np.float64)).reshape(cout, cin, k, k)
        x = F.conv2d(x, wt, torch.from_numpy(bias.astype(np.float64)))
        if n < 2:
            x = F.relu(x)
        outs.append(x)
    return outs[1].numpy().astype(np.float32), outs[2].numpy().astype(np.float32)


# committed set: width 1/32 (conv widths 2, 4, 8, 16, 16), fc 32, 10 classes,
# input 64 (fc6 is a 2x2 convolution); images whose sizes pool differently
# when rounded up (70x90: pool5 3x3 up, 2x2 down)
SMALL = {"width": 1.0 / 32, "fc_dim": 32, "classes": 10, "input_size": 64}


def cmd_fixtures(out_dir):
    pb = compile_schema()
    os.makedirs(out_dir, exist_ok=True)
    for config, seed, forms in (("D", 16, ("v1", "new", "mixed")), ("E", 19, ("v1", "new"))):
        layers = layer_list(config, SMALL["width"], SMALL["fc_dim"], SMALL["classes"],
                            SMALL["input_size"])
        w = random_weights(layers, seed)
        low = config.lower()
        for form in forms:
            write_caffemodel(os.path.join(out_dir, "%s_%s.caffemodel" % (low, form)), pb, config,
                             layers, w, form, SMALL["input_size"])
        write_safetensors(os.path.join(out_dir, "%s_expected.safetensors" % low),
                          torchvision_tensors(layers, w), {"config": config})
        fc7, scores = caffe_forward(config, layers, w, test_image(70, 90))
        write_safetensors(os.path.join(out_dir, "%s_forward.safetensors" % low),
                          [("fc7", fc7), ("scores", scores)],
                          {"image": "test_image(70, 90)",
                           "outputs": "BGR minus mean pixel, ceil pooling, dense"})
    print("gen_caffe_fixtures: wrote %s" % out_dir)


# ---- full size ----

def full_layers(config):
    return layer_list(config, 1.0, 4096, 1000, 224)


def pooled_weights(layers, seed):
    """Full-size weights, quick to make: each tensor is a scaled run of a
    pool of 1,000,003 normal values (a prime period), starting where the
    previous tensor stopped.  Caffe's layout as random_weights()."""
    period = 1000003
    pool = np.random.default_rng(seed).standard_normal(period, dtype=np.float32)
    w = {}
    pos = 0
    for name, _key, kind, cout, cin, k in layers:
        fan = cin * k * k
        out = []
        for shape, scale in ((((cout, cin, k, k) if kind == "conv" else (cout, fan)),
                              np.sqrt(2.0 / fan)), ((cout,), 0.5)):
            n = int(np.prod(shape))
            a = np.resize(np.roll(pool, -(pos % period)), n).reshape(shape)
            a *= np.float32(scale)
            pos += n
            out.append(a)
        w[name] = tuple(out)
    return w


def cmd_full(config, out_path, seed):
    pb = compile_schema()
    layers = full_layers(config)
    w = pooled_weights(layers, seed)
    seq = layer_sequence(config, layers)
    name = "VGG_ILSVRC_%d_layers" % (16 if config == "D" else 19)
    tmp = out_path + ".part"
    with open(tmp, "wb") as f:
        f.write(net_header(pb, name, 224))
        for entry in seq:
            # one NetParameter per layer: concatenated, they are one message
            for piece in framed_v1_layer_chunks(pb, entry, w):
                f.write(piece)
    os.replace(tmp, out_path)
    print("gen_caffe_fixtures: wrote %s (%d bytes)" % (out_path, os.path.getsize(out_path)))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        assert v["dtype"] == "F32", k
        b, e = v["data_offsets"]
        out[k] = data[b:e].view("<f4").reshape(v["shape"])
    return out, meta


def cmd_check_full(config, path, seed):
    layers = full_layers(config)
    w = pooled_weights(layers, seed)
    want = dict(torchvision_tensors(layers, w))
    got, meta = read_safetensors(path)
    bad = []
    if sorted(got) != sorted(want):
        bad.append("keys differ: %s" % sorted(set(got) ^ set(want)))
    for k, v in want.items():
        if k in got and (tuple(got[k].shape) != v.shape or not np.array_equal(got[k], v)):
            bad.append("%s differs (shape %s vs %s)" % (k, tuple(got[k].shape), v.shape))
    expect_meta = {"config": config, "channel_order": "BGR", "input_range": "255",
                   "pool_round": "ceil", "input_size": "224", "fc_dim": "4096",
                   "num_classes": "1000", "width": "1"}
    for k, v in expect_meta.items():
        if meta.get(k) != v:
            bad.append("metadata %s = %r, expected %r" % (k, meta.get(k), v))
    mean = [float(x) for x in meta.get("mean", "0,0,0").split(",")]
    if not np.allclose(mean, MEAN_BGR, rtol=0, atol=1e-9):
        bad.append("metadata mean = %r" % meta.get("mean"))
    n = sum(v.size for v in want.values())
    if bad:
        print("check-full: %s" % "; ".join(bad))
        return 1
    print("check-full: %d tensors, %d values equal" % (len(want), n))
    return 0


# ---- torchvision / timm checkpoints ----

def reduced_torchvision_vgg(config, width, fc_dim, classes, seed):
    import torch
    import torch.nn as nn
    from torchvision.models.vgg import VGG, cfgs, make_layers

    key = {"D": "D", "E": "E"}[config]
    cfg = [v if v == "M" else scaled(v, width) for v in cfgs[key]]
    model = VGG(make_layers(cfg, batch_norm=False), num_classes=classes, init_weights=False)
    c5 = [v for v in cfg if v != "M"][-1]
    model.classifier = nn.Sequential(
        nn.Linear(c5 * 49, fc_dim), nn.ReLU(True), nn.Dropout(),
        nn.Linear(fc_dim, fc_dim), nn.ReLU(True), nn.Dropout(),
        nn.Linear(fc_dim, classes))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan = p[0].numel() if p.dim() > 1 else 4
            p.copy_(torch.randn(p.shape, generator=g) * (2.0 / fan) ** 0.5)
    return model.eval()


def cmd_pth(out_dir):
    import torch

    os.makedirs(out_dir, exist_ok=True)
    width, fc_dim, classes = 1.0 / 16, 32, 10
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    for config, seed in (("D", 3), ("E", 4)):
        model = reduced_torchvision_vgg(config, width, fc_dim, classes, seed)
        with torch.no_grad():
            scores = model(x)
        low = config.lower()
        write_safetensors(os.path.join(out_dir, "pth_%s_forward.safetensors" % low),
                          [("input", x.numpy()), ("scores", scores.numpy())], {})
        if config == "D":
            torch.save(model.state_dict(), os.path.join(out_dir, "d_state_dict.pth"))
            # timm's names and shapes, wrapped as a training checkpoint
            timm = {}
            for k, v in model.state_dict().items():
                if k.startswith("classifier.0."):
                    k = "pre_logits.fc1." + k.split(".")[-1]
                    if v.dim() == 2:
                        v = v.reshape(v.shape[0], -1, 7, 7)
                elif k.startswith("classifier.3."):
                    k = "pre_logits.fc2." + k.split(".")[-1]
                    if v.dim() == 2:
                        v = v.reshape(v.shape[0], v.shape[1], 1, 1)
                elif k.startswith("classifier.6."):
                    k = "head.fc." + k.split(".")[-1]
                timm["module." + k] = v.clone()
            torch.save({"epoch": 3, "state_dict": timm}, os.path.join(out_dir, "d_timm.pth"))
        else:
            torch.save(model, os.path.join(out_dir, "e_model.pth"))
    # a batch-norm VGG, which vggfeat does not take
    from torchvision.models.vgg import VGG, cfgs, make_layers
    cfg = [v if v == "M" else scaled(v, width) for v in cfgs["A"]]
    bn = VGG(make_layers(cfg, batch_norm=True), num_classes=classes, init_weights=False)
    bn.classifier = torch.nn.Sequential(torch.nn.Linear(cfg[-2] * 49, fc_dim),
                                        torch.nn.ReLU(True), torch.nn.Dropout(),
                                        torch.nn.Linear(fc_dim, fc_dim), torch.nn.ReLU(True),
                                        torch.nn.Dropout(), torch.nn.Linear(fc_dim, classes))
    torch.save(bn.state_dict(), os.path.join(out_dir, "a_bn.pth"))

    # run pipelines/pth2safetensors.py's command line on them, in this
    # process (importing torch once): OUT.log gets its output and "rc=N"
    import contextlib
    import pth2safetensors
    cases = [("d_state_dict.pth", "d_state_dict.safetensors", []),
             ("d_timm.pth", "d_timm.safetensors", []),
             ("e_model.pth", "e_model.safetensors", []),
             ("a_bn.pth", "a_bn.safetensors", []),
             ("d_state_dict.pth", "d_arch_e.safetensors", ["--arch", "E"]),
             (os.path.join(HERE, "fixtures", "convert", "d_v1.caffemodel"), "caffe.safetensors", [])]
    for src, dst, extra_args in cases:
        src = src if os.path.isabs(src) else os.path.join(out_dir, src)
        dst = os.path.join(out_dir, dst)
        with open(dst + ".log", "w") as log:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                rc = pth2safetensors.main([src, dst] + extra_args)
            log.write("rc=%d\n" % rc)
    print("gen_caffe_fixtures: wrote %s" % out_dir)


def cmd_seeds(out_dir):
    """Width 1/64 (conv widths 1, 2, 4, 8, 8), fc 4, 2 classes, input 32."""
    pb = compile_schema()
    os.makedirs(out_dir, exist_ok=True)
    for config, forms in (("D", ("v1", "new", "mixed")), ("E", ("new",))):
        layers = layer_list(config, 1.0 / 64, 4, 2, 32)
        w = random_weights(layers, 64)
        for form in forms:
            write_caffemodel(os.path.join(out_dir, "tiny_%s_%s.caffemodel" % (config.lower(), form)),
                             pb, config, layers, w, form, 32)
    # the oldest form: a V1 layer wrapping a V0LayerParameter (name 1,
    # type 2, blobs 50), and a blob with unpacked BlobShape dims
    blob = pb.BlobProtoUnpacked()
    blob.shape.dim.extend([2, 2])
    blob.data.extend([1.5, -2.0, 0.25, 1e-3])
    v0 = (len_bytes(1, b"conv1_1") + len_bytes(2, b"conv") + len_bytes(50, blob.SerializeToString()))
    with open(os.path.join(out_dir, "v0_nested.caffemodel"), "wb") as f:
        f.write(len_bytes(1, b"old") + len_bytes(2, len_bytes(1, v0)))
    print("gen_caffe_fixtures: wrote %s" % out_dir)


def len_bytes(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def main(argv):
    seed = 1
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) >= 1 and argv[0] == "fixtures":
        cmd_fixtures(argv[1] if len(argv) > 1 else os.path.join(HERE, "fixtures", "convert"))
        return 0
    if len(argv) == 3 and argv[0] == "full" and argv[1] in BLOCKS:
        cmd_full(argv[1], argv[2], seed)
        return 0
    if len(argv) == 3 and argv[0] == "check-full" and argv[1] in BLOCKS:
        return cmd_check_full(argv[1], argv[2], seed)
    if len(argv) >= 1 and argv[0] == "seeds":
        cmd_seeds(argv[1] if len(argv) > 1 else os.path.join(HERE, "fuzz", "corpus", "caffe"))
        return 0
    if len(argv) == 2 and argv[0] == "pth":
        cmd_pth(argv[1])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
