#!/usr/bin/python3
"""PyTorch CPU side of bench_forward: VGG-16 (torchvision construction,
random weights) features, fc6 as a 7x7 convolution, fc7 as a 1x1
convolution, both with ReLU; one (1, 3, h, w) image per size.  Prints
"time H W SECONDS" (best of --repeat after one warm-up) and "peak_rss_mb MB"."""
import argparse
import resource
import time

import torch
import torch.nn.functional as F
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="256x341,384x512")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = torchvision.models.vgg16(weights=None).eval()
    fc6, fc7 = net.classifier[0], net.classifier[3]
    w6 = fc6.weight.detach().view(4096, 512, 7, 7)
    w7 = fc7.weight.detach()[:, :, None, None]
    print("  PyTorch %s, torchvision %s, %d threads" %
          (torch.__version__, torchvision.__version__, torch.get_num_threads()), flush=True)
    for size in args.sizes.split(","):
        h, w = (int(v) for v in size.split("x"))
        x = torch.randn(1, 3, h, w)
        best = float("inf")
        with torch.no_grad():
            for r in range(args.repeat + 1):
                t0 = time.perf_counter()
                y = F.relu(F.conv2d(net.features(x), w6, fc6.bias))
                y = F.relu(F.conv2d(y, w7, fc7.bias))
                t = time.perf_counter() - t0
                if r > 0:
                    best = min(best, t)
        print("time %d %d %.6f" % (h, w, best), flush=True)
    print("peak_rss_mb %.1f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
