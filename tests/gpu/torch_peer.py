"""The peer of tests/gpu/gpu_check.c's timings: the same work in PyTorch +
cuDNN on the same GPU, with the same precision pinned.

    torch_peer.py dense D|E Q PRECISION     a Q x 4Q/3 image and its flip through
                                            the dense net (fc6 as a 7x7 conv, fc7
                                            1x1), fc7 averaged on the GPU
    torch_peer.py train N PRECISION         one VGG-16 SGD step at batch N

PRECISION is fp32 (TF32 off for convolutions and matrix products) or
tf32.  cudnn.benchmark is on: PyTorch measures its algorithms for the
shape, its best case.  Prints "RESULT dense D Q images/s" or "RESULT train
D 224 images/s"."""
import sys
import time

import torch
import torch.nn as nn
import torchvision


def pin(precision):
    tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True


def dense_net(cfg):
    m = torchvision.models.vgg16() if cfg == "D" else torchvision.models.vgg19()
    fc6 = nn.Conv2d(512, 4096, 7)
    fc7 = nn.Conv2d(4096, 4096, 1)
    return nn.Sequential(m.features, fc6, nn.ReLU(inplace=True), fc7, nn.ReLU(inplace=True))


def timed(fn, least_s, least_n):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        torch.cuda.synchronize()
        el = time.perf_counter() - t0
        if el >= least_s and n >= least_n:
            return n, el


def main():
    mode = sys.argv[1]
    dev = torch.device("cuda:0")
    if mode == "dense":
        cfg, q, precision = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        pin(precision)
        net = dense_net(cfg).to(dev).eval()
        x = torch.randn(1, 3, q, q * 4 // 3)
        x2 = torch.cat([x, torch.flip(x, dims=[3])]).to(dev)

        def one():
            with torch.no_grad():
                d = net(x2).mean(dim=(2, 3)).mean(dim=0)
            return d.cpu()

        n, el = timed(one, 4.0, 10)
        print(f"RESULT dense {cfg} {q} {n / el:.3f}")
    elif mode == "train":
        batch, precision = int(sys.argv[2]), sys.argv[3]
        pin(precision)
        net = torchvision.models.vgg16().to(dev).train()
        opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9, weight_decay=5e-4)
        x = torch.randn(batch, 3, 224, 224, device=dev)
        y = torch.arange(batch, device=dev) % 1000
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=False)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        n, el = timed(step, 5.0, 5)
        print(f"RESULT train D 224 {n * batch / el:.3f}")
    else:
        sys.exit("usage: torch_peer.py dense D|E Q fp32|tf32 | train N fp32|tf32")


if __name__ == "__main__":
    main()
