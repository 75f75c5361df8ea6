"""Converters refuse NaN and infinite weights (issue 24, item 11): such a
file would be written, then refused by every command that loads it as
"damaged".  vggfeat convert on the committed reduced-width caffemodel with
one value made NaN or infinite (found by its bytes, which the expected
safetensors holds: no protobuf needed), and pipelines/pth2safetensors.py on
a reduced torchvision VGG with a NaN (PyTorch; skipped without it).

Run by CTest: test_convert_finite.py BINDIR WORKDIR.  Exit 0 pass, 1 fail,
77 skip (no numpy; 1 instead where VGG_REQUIRE_REFERENCES is set).
"""
import json
import os
import shutil
import struct
import subprocess
import sys

from cli_check import check, finish, run

try:
    import numpy as np
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(1 if os.environ.get("VGG_REQUIRE_REFERENCES") else 77)

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "convert")
bindir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VGGFEAT = os.path.join(bindir, "vggfeat")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)


def safetensors_tensor(path, key):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        t = head[key]
        a, b = t["data_offsets"]
        f.seek(8 + n + a)
        return np.frombuffer(f.read(b - a), dtype="<f4")


def patched(key, element, value, out):
    """d_v1.caffemodel with element `element` of the tensor `key` set to value:
    the tensor's bytes are found in the caffemodel as they are (V1 packed
    floats), then one value is replaced."""
    want = safetensors_tensor(os.path.join(FIX, "d_expected.safetensors"), key)
    with open(os.path.join(FIX, "d_v1.caffemodel"), "rb") as f:
        data = bytearray(f.read())
    at = data.find(want.tobytes())
    assert at >= 0 and data.find(want.tobytes(), at + 1) < 0, "tensor %s not found once" % key
    data[at + 4 * element:at + 4 * element + 4] = struct.pack("<f", value)
    with open(out, "wb") as f:
        f.write(bytes(data))


rc, out = run([VGGFEAT, "convert", os.path.join(FIX, "d_v1.caffemodel"), "-o", "ok.safetensors"])
check(rc == 0 and os.path.exists("ok.safetensors"), "the fixture converts", out)

patched("features.0.weight", 5, float("nan"), "nan.caffemodel")
rc, out = run([VGGFEAT, "convert", "nan.caffemodel", "-o", "nan.safetensors"])
check(rc == 1 and "'nan.caffemodel': layer 'conv1_1', blob 0 (weights, features.0.weight) "
      "holds NaN at element 5 of" in out and "not writing 'nan.safetensors'" in out and
      not os.path.exists("nan.safetensors"),
      "a NaN in conv1_1's weights is refused at conversion, naming the blob", out)

patched("classifier.6.bias", 3, float("-inf"), "inf.caffemodel")
shutil.copy("ok.safetensors", "inf.safetensors")
rc, out = run([VGGFEAT, "convert", "inf.caffemodel", "-o", "inf.safetensors"])
with open("ok.safetensors", "rb") as f, open("inf.safetensors", "rb") as g:
    kept = f.read() == g.read()
check(rc == 1 and "layer 'fc8', blob 1 (bias, classifier.6.bias) holds an infinity at "
      "element 3 of 10" in out and kept,
      "an infinity in fc8's bias is refused; an older output stays as it was", out)

# ------------------------------------------------ pth2safetensors.py
try:
    import torch
    import torchvision  # noqa: F401
except ImportError as e:
    print("pth2safetensors part skipped: %s" % e)
    if os.environ.get("VGG_REQUIRE_REFERENCES"):
        check(False, "PyTorch is required here (VGG_REQUIRE_REFERENCES)")
    finish()

sys.path.insert(0, HERE)
from gen_caffe_fixtures import reduced_torchvision_vgg  # noqa: E402

PTH2ST = os.path.join(HERE, "..", "pipelines", "pth2safetensors.py")
model = reduced_torchvision_vgg("D", 1 / 32, 32, 10, 5)


def fresh():
    """the model's tensors, copied (state_dict() shares them)"""
    return {k: v.clone() for k, v in model.state_dict().items()}


sd = fresh()
torch.save(sd, "good.pth")
rc, out = run([sys.executable, PTH2ST, "good.pth", "good.safetensors"])
check(rc == 0 and os.path.exists("good.safetensors"), "a reduced VGG converts", out)
with torch.no_grad():
    sd["features.2.weight"][1, 0, 2, 1] = float("nan")
torch.save(sd, "nan.pth")
rc, out = run([sys.executable, PTH2ST, "nan.pth", "nan_pth.safetensors"])
check(rc == 1 and "'nan.pth': tensor features.2.weight holds NaN at element %d" % (
          1 * 2 * 9 + 0 * 9 + 2 * 3 + 1) in out and not os.path.exists("nan_pth.safetensors"),
      "pth2safetensors refuses a NaN, naming the tensor", out)
sd = fresh()
sd["classifier.0.bias"] = sd["classifier.0.bias"].double()
sd["classifier.0.bias"][0] = 1e39   # finite in float64, infinite as the float32 written
torch.save(sd, "big.pth")
rc, out = run([sys.executable, PTH2ST, "big.pth", "big.safetensors"])
check(rc == 1 and "tensor classifier.0.bias holds an infinity at element 0" in out and
      not os.path.exists("big.safetensors"),
      "pth2safetensors refuses a value float32 cannot hold", out)
finish()
