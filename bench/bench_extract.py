#!/usr/bin/python3
"""PyTorch CPU side of bench_extract: the same descriptor with torchvision
VGG nets (random weights): Pillow BILINEAR resize to smallest side Q,
torchvision normalisation, features, fc6 as a 7x7 convolution, fc7 as 1x1
(ReLU), global average pool, averaged with the flipped image's, scales and
nets stacked, L2.  PyTorch at its fastest on the CPU: each net's dense
forward traced, frozen and passed through optimize_for_inference once per
input shape; like bench_extract's own side, one untimed image first (the
traces, oneDNN's kernels), then the images timed.
Prints "images_per_s V" and "peak_rss_mb MB"."""
import argparse
import math
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode


def picture(w, h, k):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    c = np.arange(3)[None, None, :]
    a = 128 + 100 * np.sin((x[:, :, None] + 7 * k) / (9.0 + c) + y[:, :, None] / 13.0)
    return Image.fromarray(a.astype(np.uint8))


class Dense(torch.nn.Module):
    """features, fc6 as 7x7, fc7 as 1x1, the map's mean, the two views' mean"""

    def __init__(self, features, w6, b6, w7, b7):
        super().__init__()
        self.features = features
        self.w6, self.b6, self.w7, self.b7 = (torch.nn.Parameter(t.detach(), requires_grad=False)
                                              for t in (w6, b6, w7, b7))

    def forward(self, x):
        y = F.relu(F.conv2d(self.features(x), self.w6, self.b6))
        y = F.relu(F.conv2d(y, self.w7, self.b7))
        return y.mean(dim=(2, 3)).mean(dim=0)


def fastest(module, x):
    t = torch.jit.freeze(torch.jit.trace(module, x))
    return torch.jit.optimize_for_inference(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", default="D")
    ap.add_argument("--scales", default="256")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", default="500x375")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    w, h = (int(v) for v in args.size.split("x"))
    scales = [int(q) for q in args.scales.split(",")]
    nets = []
    for letter in args.net.split(","):
        net = (torchvision.models.vgg19 if letter == "E" else torchvision.models.vgg16)(weights=None)
        net.eval()
        fc6, fc7 = net.classifier[0], net.classifier[3]
        nets.append(Dense(net.features, fc6.weight.view(4096, 512, 7, 7), fc6.bias,
                          fc7.weight[:, :, None, None], fc7.bias).eval())
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    print("  PyTorch %s, torchvision %s, %d threads" %
          (torch.__version__, torchvision.__version__, torch.get_num_threads()), flush=True)
    traced = {}
    t0 = time.perf_counter()
    with torch.no_grad():
        for k in range(-1, args.images):
            if k == 0:
                t0 = time.perf_counter()
            img = picture(w, h, max(k, 0))
            parts = []
            for j, net in enumerate(nets):
                for q in scales:
                    x = (TF.to_tensor(TF.resize(img, q, InterpolationMode.BILINEAR)) - mean) / std
                    x = torch.stack([x, torch.flip(x, dims=[2])])
                    key = (j, tuple(x.shape))
                    if key not in traced:
                        traced[key] = fastest(net, x)
                    parts.append(traced[key](x))
            d = torch.cat(parts)
            d = d / d.norm()
            assert math.isfinite(float(d.sum()))
    print("images_per_s %.6f" % (args.images / (time.perf_counter() - t0)))
    print("peak_rss_mb %.1f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
