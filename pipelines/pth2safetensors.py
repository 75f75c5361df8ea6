#!/usr/bin/env python3
"""Convert a torchvision or timm VGG checkpoint (.pth) into vggfeat weights.

    python3 pth2safetensors.py IN.pth OUT.safetensors [--arch D]

IN is whatever torch.save() wrote: a state dict, a checkpoint dict holding
one under "state_dict" or "model", or a whole model (then torchvision or
timm must be importable, as for torch.load).  The keys may be torchvision's
(features.N.*, classifier.0/3/6.*), timm's (pre_logits.fc1/fc2.*,
head.fc.*) or either with a "module." prefix; they are written with
torchvision's names and shapes.  The configuration (Table 1 of the paper:
A, A-LRN, B, C, D, E), the width multiplier, fc width, classes and input
size are inferred from the keys and shapes; --arch checks the inferred
configuration.  The metadata records torchvision's preprocessing: RGB,
range 0-1, ImageNet mean and std, pooling rounded down.

Runs with the user's own PyTorch; writes safetensors itself (header of
JSON, then raw little-endian float32 tensors), atomically: a temporary file
renamed into place.  Batch-norm variants (vgg16_bn) are refused, and so
is a NaN or infinite weight (also a float64 one that float32 cannot hold),
naming the tensor: every command that loads the file would refuse it.
"""
import argparse
import json
import math
import os
import re
import struct
import sys

TORCHVISION_MEAN = "0.485,0.456,0.406"
TORCHVISION_STD = "0.229,0.224,0.225"

# convs per block, and whether block 3-5's last conv is 1x1 (C)
CONFIG_BLOCKS = {
    "A": [1, 1, 2, 2, 2],
    "B": [2, 2, 2, 2, 2],
    "D": [2, 2, 3, 3, 3],
    "E": [2, 2, 4, 4, 4],
}
BASE_WIDTH = [64, 128, 256, 512, 512]


class ConvertError(Exception):
    pass


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, numpy array); written as float32 in order.
    metadata: dict of str -> str.  The file appears only when complete."""
    import numpy as np

    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    arrays = []
    for name, arr in tensors:
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        n = a.nbytes
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + n]}
        offset += n
        arrays.append(a)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for a in arrays:
                f.write(a.tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_state_dict(path):
    import torch

    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # a pickle of a class that cannot be imported, a bad file
        raise ConvertError("'%s': cannot load with torch.load: %s" % (path, e))
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for k in ("state_dict", "model", "model_state_dict"):
            if k in obj and isinstance(obj[k], (dict, torch.nn.Module)):
                obj = obj[k]
                if isinstance(obj, torch.nn.Module):
                    obj = obj.state_dict()
                break
    if not isinstance(obj, dict) or not obj:
        raise ConvertError("'%s': holds no state dict (found %s)" % (path, type(obj).__name__))
    sd = {}
    for k, v in obj.items():
        if not torch.is_tensor(v):
            continue
        if k.startswith("module."):
            k = k[len("module."):]
        sd[k] = v
    return sd


def to_torchvision(sd, path):
    """Rename timm keys to torchvision's and give fc weights 2-D shapes."""
    if any(k.endswith("running_mean") for k in sd):
        raise ConvertError("'%s': a batch-norm VGG (running_mean keys): not supported" % path)
    ren = {"pre_logits.fc1": "classifier.0", "pre_logits.fc2": "classifier.3",
           "head.fc": "classifier.6"}
    out = {}
    for k, v in sd.items():
        for old, new in ren.items():
            if k.startswith(old + "."):
                k = new + k[len(old):]
        if k.startswith("classifier.") and k.endswith(".weight") and v.dim() != 2:
            v = v.reshape(v.shape[0], -1)
        if k.startswith("features.") or k.startswith("classifier."):
            out[k] = v
    return out


def infer_arch(sd, path):
    convs = sorted(int(m.group(1)) for k in sd
                   for m in [re.fullmatch(r"features\.(\d+)\.weight", k)] if m)
    if not convs:
        raise ConvertError("'%s': no features.N.weight tensors: not a VGG state dict" % path)
    for key in ("classifier.0.weight", "classifier.3.weight", "classifier.6.weight"):
        if key not in sd:
            raise ConvertError("'%s': tensor %s is missing" % (path, key))
    # blocks from the index gaps: conv, relu (2) within a block; + pool (3)
    # between blocks; + LRN (4) after block 1 of A-LRN
    blocks = [[convs[0]]]
    lrn = False
    if convs[0] != 0:
        raise ConvertError("'%s': the first conv is features.%d, expected features.0" % (path, convs[0]))
    for a, b in zip(convs, convs[1:]):
        gap = b - a
        if gap == 2:
            blocks[-1].append(b)
        elif gap == 3 or (gap == 4 and len(blocks) == 1 and not lrn):
            lrn = lrn or gap == 4
            blocks.append([b])
        else:
            raise ConvertError("'%s': features.%d follows features.%d: not a VGG layout" % (path, b, a))
    counts = [len(b) for b in blocks]
    kernels = [sd["features.%d.weight" % i].shape[-1] for i in convs]
    config = None
    for name, c in CONFIG_BLOCKS.items():
        if counts == c:
            config = name
    if config == "D" and any(kernels[i] == 1 for i in range(len(kernels))):
        config = "C"
    if config == "A" and lrn:
        config = "A-LRN"
    if config is None:
        raise ConvertError("'%s': conv layers per block %s match no configuration" % (path, counts))
    w0 = sd["features.0.weight"].shape[0]
    width = w0 / 64.0
    # check every conv against the configuration at this width
    cin = 3
    i = 0
    for bi, blk in enumerate(blocks):
        for j, idx in enumerate(blk):
            cout = max(1, int(math.floor(BASE_WIDTH[bi] * width + 0.5)))
            k = 1 if (config == "C" and bi >= 2 and j == len(blk) - 1) else 3
            want = (cout, cin, k, k)
            got = tuple(sd["features.%d.weight" % idx].shape)
            if got != want:
                raise ConvertError("'%s': features.%d.weight is %s, expected %s (configuration %s)"
                                   % (path, idx, got, want, config))
            cin = cout
            i += 1
    fc6 = sd["classifier.0.weight"]
    fc_dim = fc6.shape[0]
    kk = fc6.shape[1] // cin
    k = int(round(math.sqrt(kk)))
    if k * k * cin != fc6.shape[1]:
        raise ConvertError("'%s': classifier.0.weight is %s: not fc_dim x (%d x k x k)"
                           % (path, tuple(fc6.shape), cin))
    num_classes = sd["classifier.6.weight"].shape[0]
    return {"config": config, "width": width, "fc_dim": fc_dim, "num_classes": num_classes,
            "input_size": 32 * k, "convs": convs}


def check_finite(tensors, in_path, out_path):
    """A NaN or infinity (also one that float32 cannot hold, such as 1e39
    in a float64 tensor) would be written, then refused by every command
    that loads the weights: refuse it here, naming the tensor."""
    import numpy as np

    for name, a in tensors:
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            i = int(bad[0])
            v = a.reshape(-1)[i]
            raise ConvertError("'%s': tensor %s holds %s at element %d of %d; not writing '%s': "
                               "the checkpoint is damaged"
                               % (in_path, name, "NaN" if np.isnan(v) else "an infinity", i,
                                  a.size, out_path))


def fmt_width(w):
    return ("%.6g" % w)


def convert(in_path, out_path, arch=None):
    sd = to_torchvision(load_state_dict(in_path), in_path)
    info = infer_arch(sd, in_path)
    if arch is not None:
        want = {"VGG11": "A", "VGG13": "B", "VGG16": "D", "VGG19": "E"}.get(arch.upper(), arch.upper())
        if want != info["config"]:
            raise ConvertError("'%s': the keys say configuration %s, not %s"
                               % (in_path, info["config"], arch))
    tensors = []
    for idx in info["convs"]:
        for part in ("weight", "bias"):
            tensors.append(("features.%d.%s" % (idx, part), sd["features.%d.%s" % (idx, part)]))
    for idx in (0, 3, 6):
        for part in ("weight", "bias"):
            key = "classifier.%d.%s" % (idx, part)
            if key not in sd:
                raise ConvertError("'%s': tensor %s is missing" % (in_path, key))
            tensors.append((key, sd[key]))
    tensors = [(n, t.detach().to("cpu").float().contiguous().numpy()) for n, t in tensors]
    check_finite(tensors, in_path, out_path)
    meta = {
        "format": "vggfeat-weights-1",
        "config": info["config"],
        "width": fmt_width(info["width"]),
        "fc_dim": str(info["fc_dim"]),
        "num_classes": str(info["num_classes"]),
        "input_size": str(info["input_size"]),
        "pool_round": "floor",
        "channel_order": "RGB",
        "input_range": "1",
        "mean": TORCHVISION_MEAN,
        "std": TORCHVISION_STD,
        "source": "pytorch:" + os.path.basename(in_path),
    }
    write_safetensors(out_path, tensors, meta)
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="a .pth file (state dict, checkpoint or whole model)")
    ap.add_argument("output", help="the .safetensors file to write")
    ap.add_argument("--arch", help="expected configuration (A, A-LRN, B, C, D, E, vgg16...)")
    a = ap.parse_args(argv)
    try:
        info = convert(a.input, a.output, a.arch)
    except ConvertError as e:
        print("pth2safetensors: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("pth2safetensors: %s" % e, file=sys.stderr)
        return 1
    print("pth2safetensors: wrote %s (configuration %s, width %s, fc %d, %d classes, input %d)"
          % (a.output, info["config"], fmt_width(info["width"]), info["fc_dim"],
             info["num_classes"], info["input_size"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
