#!/usr/bin/python3
"""PyTorch side of bench_cpu: VGG-16/VGG-19 (torchvision construction,
random weights) features, fc6 as a 7x7 convolution and fc7 as a 1x1
convolution, both with ReLU, on a (2, 3, h, w) batch (an image and its
flip), in PyTorch's fastest CPU mode: torch.jit.trace, torch.jit.freeze,
torch.jit.optimize_for_inference (oneDNN convolutions, weights prepacked).
Prints "time NET H W BEST MEDIAN", the best and the median of --repeat
calls after warm-up calls (the first calls of a frozen module optimise and
prepack)."""
import argparse
import time

import torch
import torchvision


class Dense(torch.nn.Module):
    def __init__(self, vgg):
        super().__init__()
        fc6, fc7 = vgg.classifier[0], vgg.classifier[3]
        c5 = fc6.weight.shape[1] // 49
        self.features = vgg.features
        self.fc6 = torch.nn.Conv2d(c5, 4096, 7)
        self.fc7 = torch.nn.Conv2d(4096, 4096, 1)
        with torch.no_grad():
            self.fc6.weight.copy_(fc6.weight.view(4096, c5, 7, 7))
            self.fc6.bias.copy_(fc6.bias)
            self.fc7.weight.copy_(fc7.weight[:, :, None, None])
            self.fc7.bias.copy_(fc7.bias)

    def forward(self, x):
        x = self.features(x)
        return torch.relu(self.fc7(torch.relu(self.fc6(x))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="256x341,384x512")
    ap.add_argument("--nets", default="D,E")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print("  PyTorch %s (traced + frozen + optimize_for_inference), %d threads" %
          (torch.__version__, torch.get_num_threads()), flush=True)
    for net in args.nets.split(","):
        make = {"D": torchvision.models.vgg16, "E": torchvision.models.vgg19}[net]
        model = Dense(make(weights=None)).eval()
        for size in args.sizes.split(","):
            h, w = (int(v) for v in size.split("x"))
            x = torch.randn(1, 3, h, w)
            x = torch.cat([x, torch.flip(x, [3])])
            with torch.no_grad():
                m = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
                for _ in range(3):
                    m(x)
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    m(x)
                    times.append(time.perf_counter() - t0)
            times.sort()
            best = times[0]
            n = len(times)
            med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
            print("  torch VGG-%s %dx%d (+ flip): %.3f s / image (median %.3f)" %
                  ("16" if net == "D" else "19", h, w, best, med), flush=True)
            print("time %s %d %d %.6f %.6f" % (net, h, w, best, med), flush=True)


if __name__ == "__main__":
    main()
