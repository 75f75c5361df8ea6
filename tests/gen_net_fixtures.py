#!/usr/bin/python3
"""Reference fixtures for the network engine, computed with PyTorch.

    /usr/bin/python3 tests/gen_net_fixtures.py            # small nets -> tests/fixtures/net/
    /usr/bin/python3 tests/gen_net_fixtures.py --vgg16 DIR  # full-size VGG-16 -> DIR
    /usr/bin/python3 tests/gen_net_fixtures.py --check-saved WEIGHTS IO
        loads a weights file written by vgg_net_save into a torchvision-style
        net (strict state-dict load, metadata for the architecture), runs
        IO's "input" through it (dense, up to the scores) and compares with
        IO's "scores"; exit status 0 when the relative L2 error is < 1e-4.

Small nets: every configuration (A, A-LRN, B, C, D, E) at width 1/16
(conv channels 4, 8, 16, 32, 32), fc_dim 64, 10 classes, input size 64
(fc6 is a 2x2 convolution in dense mode).  A, B, D, E come from
torchvision's own VGG construction (torchvision.models.vgg.make_layers with
a scaled channel list); A-LRN and C are built by hand the same way.  Random
weights with fixed seeds; nothing is downloaded.

For each configuration <cfg>:
  <cfg>.safetensors           weights, in the key style and dtype listed in NETS
  <cfg>_expected.safetensors  scores       (2, 10)            classification, 64x64 inputs
                              fc7_floor_a  (1, 64, h, w)      dense fc7 map, input a, floor pooling
                              fc7_floor_b, fc7_ceil_a, fc7_ceil_b
                              scores_floor_b (1, 10, h, w)    dense class score map, input b
digests.txt:                  "<cfg> <sha256>" per net, vgg_net_digest computed here
input.safetensors:            cls (2, 3, 64, 64), a (1, 3, 77, 121), b (1, 3, 70, 97), as F16

The safetensors files are written by the small writer below (JSON header +
raw little-endian data), not by our C code.
"""
import hashlib
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torchvision

WIDTH = 1.0 / 16
FC_DIM = 64
CLASSES = 10
INPUT = 64

# conv channels per block at width 1; negative: 1x1 conv
CFGS = {
    "A": [[64], [128], [256, 256], [512, 512], [512, 512]],
    "A-LRN": [[64], [128], [256, 256], [512, 512], [512, 512]],
    "B": [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    "C": [[64, 64], [128, 128], [256, 256, -256], [512, 512, -512], [512, 512, -512]],
    "D": [[64, 64], [128, 128], [256] * 3, [512] * 3, [512] * 3],
    "E": [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4],
}

# (dtype of the weights file, key style, with vggfeat metadata?)
NETS = {
    "A": ("F32", "torchvision", True),
    "A-LRN": ("F16", "torchvision", False),
    "B": ("BF16", "torchvision", False),
    "C": ("F16", "torchvision", True),
    "D": ("F32", "torchvision", True),
    "E": ("F16", "timm", False),
}

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, torch tensor); dtype kept as given."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.float32:
            dt, raw = "F32", t.numpy().astype("<f4").tobytes()
        elif t.dtype == torch.float16:
            dt, raw = "F16", t.numpy().astype("<f2").tobytes()
        elif t.dtype == torch.bfloat16:
            dt, raw = "BF16", t.view(torch.int16).numpy().astype("<i2").tobytes()
        elif t.dtype == torch.int64:
            dt, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            raise ValueError(t.dtype)
        header[name] = {"dtype": dt, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def scaled(c, width):
    return max(1, int(round(abs(c) * width)))


def build_features(name, width, ceil_mode):
    """nn.Sequential in torchvision's module order: conv, ReLU, [LRN], ..., pool."""
    cfg = CFGS[name]
    if name in ("A", "B", "D", "E"):
        flat = []
        for block in cfg:
            flat += [scaled(c, width) for c in block] + ["M"]
        feats = torchvision.models.vgg.make_layers(flat, batch_norm=False)
    else:
        layers, cin = [], 3
        for b, block in enumerate(cfg):
            for j, c in enumerate(block):
                k = 1 if c < 0 else 3
                layers += [nn.Conv2d(cin, scaled(c, width), k, padding=k // 2),
                           nn.ReLU(inplace=True)]
                cin = scaled(c, width)
                if name == "A-LRN" and b == 0 and j == 0:
                    layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
            layers.append(nn.MaxPool2d(2, 2))
        feats = nn.Sequential(*layers)
    for m in feats:
        if isinstance(m, nn.MaxPool2d):
            m.ceil_mode = ceil_mode
    return feats


class Net(nn.Module):
    def __init__(self, name, width, fc_dim, classes, input_size):
        super().__init__()
        self.features = build_features(name, width, False)
        c5 = scaled(CFGS[name][-1][-1], width)
        self.k = input_size // 32
        self.classifier = nn.Sequential(
            nn.Linear(c5 * self.k * self.k, fc_dim), nn.ReLU(True), nn.Dropout(),
            nn.Linear(fc_dim, fc_dim), nn.ReLU(True), nn.Dropout(),
            nn.Linear(fc_dim, classes))

    def set_ceil(self, ceil):
        for m in self.features:
            if isinstance(m, nn.MaxPool2d):
                m.ceil_mode = ceil

    def classify(self, x):
        f = self.features(x)
        return self.classifier(torch.flatten(f, 1))

    def dense(self, x, upto="fc7"):
        f = self.features(x)
        fc6, fc7, fc8 = self.classifier[0], self.classifier[3], self.classifier[6]
        w6 = fc6.weight.view(fc6.out_features, -1, self.k, self.k)
        y = torch.relu(nn.functional.conv2d(f, w6, fc6.bias))
        y = torch.relu(nn.functional.conv2d(y, fc7.weight[:, :, None, None], fc7.bias))
        if upto == "fc7":
            return y
        return nn.functional.conv2d(y, fc8.weight[:, :, None, None], fc8.bias)


def init_random(net, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def read_safetensors(path):
    """A reader independent of our C code: (tensors dict, metadata dict)."""
    import numpy as np
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode())
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    pos = 0
    for b, e, k in spans:
        assert b == pos, "gap or overlap at %s" % k
        pos = e
    assert pos == len(data), "trailing bytes"
    np_types = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=np_types[v["dtype"]]).astype(np.float32)
        out[k] = torch.from_numpy(a.reshape(v["shape"]).copy())
    return out, meta


def check_saved(weights, io):
    tensors, meta = read_safetensors(weights)
    assert meta["format"] == "vggfeat-weights-1"
    net = Net(meta["config"], float(meta["width"]), int(meta["fc_dim"]),
              int(meta["num_classes"]), int(meta["input_size"])).eval()
    net.load_state_dict(tensors, strict=True)
    net.set_ceil(meta["pool_round"] == "ceil")
    iot, _ = read_safetensors(io)
    with torch.no_grad():
        want = net.dense(iot["input"], "scores")
    got = iot["scores"]
    assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
    err = float(torch.linalg.norm(got - want) / torch.linalg.norm(want))
    print("check-saved %s: %s, scores %s, relative L2 error %.3g"
          % (weights, meta["config"], tuple(want.shape), err))
    return 0 if err < 1e-4 else 1


def round_weights(net, dtype):
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def digest(net):
    """vgg_net_digest as documented in net/include/vgg/net.h: per parameter
    (layer order, weight then bias): name + NUL, ndim u32 LE, dims u64 LE
    (weights 4-D, fc weights (O, I, k, k)), float32 LE data."""
    h = hashlib.sha256()
    for key, t in net.state_dict().items():
        t = t.detach().to(torch.float32).contiguous()
        if key.startswith("classifier.") and key.endswith(".weight"):
            k = net.k if key == "classifier.0.weight" else 1
            t = t.view(t.shape[0], -1, k, k)
        h.update(key.encode() + b"\0")
        h.update(struct.pack("<I", t.dim()))
        for d in t.shape:
            h.update(struct.pack("<Q", d))
        h.update(t.numpy().astype("<f4").tobytes())
    return h.hexdigest()


def small_fixtures(outdir):
    os.makedirs(outdir, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    inputs = {
        "cls": torch.randn(2, 3, INPUT, INPUT, generator=g),
        "a": torch.randn(1, 3, 77, 121, generator=g),
        "b": torch.randn(1, 3, 70, 97, generator=g),
    }
    # stored as F16 (half the size); the references use the rounded values
    inputs = {k: v.to(torch.float16) for k, v in inputs.items()}
    write_safetensors(os.path.join(outdir, "input.safetensors"), list(inputs.items()))
    inputs = {k: v.to(torch.float32) for k, v in inputs.items()}
    digests = []
    for i, name in enumerate(CFGS):
        dtype, style, with_meta = NETS[name]
        net = Net(name, WIDTH, FC_DIM, CLASSES, INPUT).eval()
        init_random(net, 100 + i)
        round_weights(net, DTYPES[dtype])
        sd = net.state_dict()
        tensors = []
        for key, t in sd.items():
            if style == "timm" and key.startswith("classifier."):
                idx, kind = key.split(".")[1:]
                new = {"0": "pre_logits.fc1", "3": "pre_logits.fc2", "6": "head.fc"}[idx]
                if kind == "weight" and idx == "0":
                    t = t.view(t.shape[0], -1, net.k, net.k)
                elif kind == "weight" and idx == "3":
                    t = t[:, :, None, None]
                key = new + "." + kind
            tensors.append((key, t.to(DTYPES[dtype])))
        meta = None
        if with_meta:
            meta = {"format": "vggfeat-weights-1", "config": name, "width": "0.0625",
                    "fc_dim": FC_DIM, "num_classes": CLASSES, "input_size": INPUT,
                    "pool_round": "floor", "channel_order": "RGB", "input_range": "1",
                    "mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225"}
        write_safetensors(os.path.join(outdir, name + ".safetensors"), tensors, meta)
        with torch.no_grad():
            exp = [("scores", net.classify(inputs["cls"]))]
            for rnd, ceil in (("floor", False), ("ceil", True)):
                net.set_ceil(ceil)
                for s in ("a", "b"):
                    exp.append(("fc7_%s_%s" % (rnd, s), net.dense(inputs[s])))
            net.set_ceil(False)
            exp.append(("scores_floor_b", net.dense(inputs["b"], "scores")))
        write_safetensors(os.path.join(outdir, name + "_expected.safetensors"), exp)
        print(name, {k: tuple(v.shape) for k, v in exp})
        digests.append("%s %s\n" % (name, digest(net)))
    with open(os.path.join(outdir, "digests.txt"), "w") as f:
        f.writelines(digests)


def vgg16_fixture(outdir, h=224, w=256):
    """Full-size VGG-16 (torchvision's vgg16 with seeded random weights) and
    its dense fc7 map on one (1, 3, h, w) input, floor pooling."""
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(7)
    torch.set_num_threads(2)
    net = torchvision.models.vgg16(weights=None).eval()
    g = torch.Generator().manual_seed(8)
    x = torch.randn(1, 3, h, w, generator=g)
    write_safetensors(os.path.join(outdir, "vgg16.safetensors"), list(net.state_dict().items()))
    with torch.no_grad():
        f = net.features(x)
        fc6, fc7 = net.classifier[0], net.classifier[3]
        y = torch.relu(nn.functional.conv2d(f, fc6.weight.view(4096, 512, 7, 7), fc6.bias))
        y = torch.relu(nn.functional.conv2d(y, fc7.weight[:, :, None, None], fc7.bias))
    write_safetensors(os.path.join(outdir, "vgg16_io.safetensors"), [("input", x), ("fc7", y)])
    print("vgg16", tuple(y.shape))


def vgg16_bn_fixture(outdir, width=0.125, fc_dim=64, classes=10, h=224, w=256):
    """torchvision's vgg16_bn construction (make_layers(..., batch_norm=True))
    at reduced width, with seeded random weights, BN scales, shifts and
    running statistics, in eval mode; its state dict as it is (with
    num_batches_tracked, I64), and its dense fc7 map on one input."""
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(2)
    flat = []
    for block in CFGS["D"]:
        flat += [scaled(c, width) for c in block] + ["M"]
    net = torchvision.models.vgg.VGG(torchvision.models.vgg.make_layers(flat, batch_norm=True),
                                     num_classes=classes, init_weights=False)
    c5 = scaled(CFGS["D"][-1][-1], width)
    net.classifier = nn.Sequential(
        nn.Linear(c5 * 49, fc_dim), nn.ReLU(True), nn.Dropout(),
        nn.Linear(fc_dim, fc_dim), nn.ReLU(True), nn.Dropout(),
        nn.Linear(fc_dim, classes))
    init_random(net, 11)
    g = torch.Generator().manual_seed(12)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.3 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.2 + torch.rand(m.running_var.shape, generator=g))
                m.num_batches_tracked.fill_(1234)
    net.eval()
    x = torch.randn(1, 3, h, w, generator=g)
    write_safetensors(os.path.join(outdir, "vgg16_bn.safetensors"),
                      list(net.state_dict().items()))
    with torch.no_grad():
        f = net.features(x)
        fc6, fc7 = net.classifier[0], net.classifier[3]
        y = torch.relu(nn.functional.conv2d(f, fc6.weight.view(fc_dim, c5, 7, 7), fc6.bias))
        y = torch.relu(nn.functional.conv2d(y, fc7.weight[:, :, None, None], fc7.bias))
    write_safetensors(os.path.join(outdir, "vgg16_bn_io.safetensors"), [("input", x), ("fc7", y)])
    print("vgg16_bn", tuple(y.shape))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--vgg16":
        vgg16_fixture(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--vgg16-bn":
        vgg16_bn_fixture(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--check-saved":
        sys.exit(check_saved(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 1:
        small_fixtures(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "net"))
    else:
        sys.exit(__doc__)
