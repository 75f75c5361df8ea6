#!/usr/bin/python3
"""PyTorch side of bench_cpu: VGG-16/VGG-19 (torchvision construction,
random weights) features, fc6 as a 7x7 convolution and fc7 as a 1x1
convolution, both with ReLU, on a (2, 3, h, w) batch (an image and its
flip), in PyTorch's fastest CPU mode: torch.jit.trace, torch.jit.freeze,
torch.jit.optimize_for_inference (oneDNN convolutions, weights prepacked).
Prints "time NET H W BEST MEDIAN", the best and the median of --repeat
calls after warm-up calls (the first calls of a frozen module optimise and
prepack).

--int8 also times PyTorch's own int8 at its fastest on this CPU, beside
vggfeat's --precision int8: post-training static quantization (eager
mode, its default qconfig for the engine: activations u8 by histogram
observers, weights s8 per output channel), every conv and ReLU fused,
calibrated on the timed input itself (its most favourable case), on the
"onednn" quantized engine (VNNI; Debian's build has no fbgemm), traced and
frozen.  Prints "time8 NET H W BEST MEDIAN"."""
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


def quantized(model, x):
    """model (Dense) as PyTorch int8: QuantStub, the layers with each conv
    and its ReLU fused, DeQuantStub; calibrated on x, converted, traced and
    frozen."""
    import torch.ao.quantization as tq
    engines = torch.backends.quantized.supported_engines
    engine = "onednn" if "onednn" in engines else "fbgemm" if "fbgemm" in engines else None
    if engine is None:
        return None, "no x86 quantized engine in this PyTorch (%s)" % engines
    torch.backends.quantized.engine = engine
    seq = torch.nn.Sequential(*model.features, model.fc6, torch.nn.ReLU(), model.fc7,
                              torch.nn.ReLU())
    q = torch.nn.Sequential(tq.QuantStub(), seq, tq.DeQuantStub()).eval()
    pairs = [["1.%d" % i, "1.%d" % (i + 1)] for i, m in enumerate(seq)
             if isinstance(m, torch.nn.Conv2d)]
    q = tq.fuse_modules(q, pairs)
    q.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(q, inplace=True)
    q(x)
    tq.convert(q, inplace=True)
    return torch.jit.freeze(torch.jit.trace(q, x)), engine


def timed(m, x, repeat):
    """best and median of repeat calls of m on x after 3 warm-up calls"""
    for _ in range(3):
        m(x)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        m(x)
        times.append(time.perf_counter() - t0)
    times.sort()
    n = len(times)
    return times[0], times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="256x341,384x512")
    ap.add_argument("--nets", default="D,E")
    ap.add_argument("--int8", action="store_true", help="also PyTorch's int8 (see above)")
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
                best, med = timed(m, x, args.repeat)
            print("  torch VGG-%s %dx%d (+ flip): %.3f s / image (median %.3f)" %
                  ("16" if net == "D" else "19", h, w, best, med), flush=True)
            print("time %s %d %d %.6f %.6f" % (net, h, w, best, med), flush=True)
            if not args.int8:
                continue
            with torch.no_grad():
                q, engine = quantized(model, x)
                if q is None:
                    print("  torch int8: %s" % engine, flush=True)
                    continue
                best, med = timed(q, x, args.repeat)
            print("  torch int8 (%s engine, static, calibrated on this input) VGG-%s %dx%d "
                  "(+ flip): %.3f s / image (median %.3f)" %
                  (engine, "16" if net == "D" else "19", h, w, best, med), flush=True)
            print("time8 %s %d %d %.6f %.6f" % (net, h, w, best, med), flush=True)


if __name__ == "__main__":
    main()
