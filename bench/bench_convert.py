#!/usr/bin/env python3
"""The usual Python route for a Caffe model, for comparison with
`vggfeat convert` (bench_convert.sh runs both in the same run): parse the
whole .caffemodel with python3-protobuf (tests/caffe_schema.proto, compiled
with protoc), turn each blob into a numpy array and a torch tensor under
torchvision's keys, and torch.save() the state dict.

    bench_convert.py IN.caffemodel OUT.pt
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from gen_caffe_fixtures import compile_schema  # noqa: E402


def main(src, dst):
    t0 = time.time()
    pb = compile_schema()
    net = pb.NetParameter()
    with open(src, "rb") as f:
        net.ParseFromString(f.read())
    layers = list(net.layers) + list(net.layer)
    sd = {}
    feat, idx = 0, 0
    fc_keys = {"fc6": "classifier.0", "fc7": "classifier.3", "fc8": "classifier.6"}
    prev_block = 1
    for L in layers:
        if not L.blobs:
            continue
        if L.name.startswith("conv"):
            block = int(L.name[4])
            if block != prev_block:
                idx += 1          # the pool between blocks
                prev_block = block
            key = "features.%d" % idx
            idx += 2              # conv, relu
        else:
            key = fc_keys[L.name]
        # fromiter: the quickest way out of a repeated field (no list)
        w = np.fromiter(L.blobs[0].data, dtype=np.float32, count=len(L.blobs[0].data))
        b = np.fromiter(L.blobs[1].data, dtype=np.float32, count=len(L.blobs[1].data))
        if L.name.startswith("conv"):
            w = w.reshape(b.size, -1, 3, 3)
        else:
            w = w.reshape(b.size, -1)
        sd[key + ".weight"] = torch.from_numpy(w)
        sd[key + ".bias"] = torch.from_numpy(b)
        feat += 1
    torch.save(sd, dst)
    print("bench_convert.py: %d layers, %d values, %.2f s"
          % (feat, sum(v.numel() for v in sd.values()), time.time() - t0))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
