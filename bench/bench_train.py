#!/usr/bin/env python3
"""PyTorch CPU side of bench_train: the same training step (forward,
softmax cross-entropy, backward, SGD with momentum 0.9 and weight decay
5e-4, dropout 0.5 on fc6/fc7) on a VGG net of the given shape.
The batch's gradient is accumulated over micro-batches of MICRO images
(default: the whole batch at once), as vggtrain's --micro-batch does.
Prints one line: "torch <images per second> <seconds per step>".

  bench_train.py CONFIG WIDTH FC CLASSES INPUT BATCH STEPS THREADS [MICRO]
"""
import sys
import time

import torch
import torch.nn as nn

BLOCKS = {
    "A": [[64], [128], [256, 256], [512, 512], [512, 512]],
    "A-LRN": [[64], [128], [256, 256], [512, 512], [512, 512]],
    "D": [[64, 64], [128, 128], [256] * 3, [512] * 3, [512] * 3],
    "E": [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4],
}


def build(config, width, fc, classes, size):
    layers, cin = [], 3
    for block in BLOCKS[config]:
        for c in block:
            c = max(1, int(round(c * width)))
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(inplace=True)]
            if config == "A-LRN" and not layers[:-2]:
                # the paper's LRN (Krizhevsky et al.) after the first layer
                layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
            cin = c
        layers.append(nn.MaxPool2d(2, 2))
    k = size // 32
    return nn.Sequential(*layers, nn.Flatten(),
                         nn.Linear(cin * k * k, fc), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(fc, fc), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(fc, classes))


def main():
    config, width, fc, classes, size, batch, steps, threads = sys.argv[1:9]
    micro = int(sys.argv[9]) if len(sys.argv) > 9 else int(batch)
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    model = build(config, float(width), int(fc), int(classes), int(size))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(int(batch), 3, int(size), int(size))
    y = torch.randint(0, int(classes), (int(batch),))

    def step():
        opt.zero_grad()
        for i in range(0, int(batch), micro):
            loss = nn.functional.cross_entropy(model(x[i:i + micro]), y[i:i + micro],
                                               reduction="sum") / int(batch)
            loss.backward()
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(int(steps)):
        step()
    dt = (time.perf_counter() - t0) / int(steps)
    print("torch %.3f %.6f" % (int(batch) / dt, dt))


if __name__ == "__main__":
    main()
