#!/usr/bin/env python3
"""Reference for tests/test_train_step.c: two SGD iterations of a small
A-LRN net (width 1/32, fc 16, 5 classes, input 64, so fc6 is a 2x2
convolution over the 2x2 pool5 map) computed by PyTorch in float64.

Writes tests/fixtures/train/step_alrn.safetensors (float32 tensors):
  input (4, 3, 64, 64), labels (4,) as floats,
  init.<key>, grad.<key> (first iteration), step1.<key>, step2.<key>
  (parameters after one and two iterations), loss (2,) (mean loss of each).
Optimiser: momentum 0.9, weight decay 0.05 on weights only (large, so that
the test sees it), lr 0.05, no dropout.

And tests/fixtures/train/step_dbn.safetensors, the same for a D-shaped
net with batch normalisation after each conv (torchvision's vgg16_bn
layout; width 1/16, fc 24, 4 classes, input 32), in training mode (batch
statistics), with the BN running statistics as init./step1./step2.
tensors too.

Run with Debian's python3 (torch 1.13):
  /usr/bin/python3 tests/gen_train_fixtures.py
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn

WIDTH = 1 / 32
FC = 16
CLASSES = 5
SIZE = 64
BATCH = 4
LR = 0.05
MOMENTUM = 0.9
WD = 0.05


def ch(c):
    return max(1, int(round(c * WIDTH)))


def build_dbn():
    import torchvision
    cfg = []
    for block in [[64, 64], [128, 128], [256] * 3, [512] * 3, [512] * 3]:
        cfg += [max(1, int(round(c / 16))) for c in block] + ["M"]
    model = nn.Module()
    model.features = torchvision.models.vgg.make_layers(cfg, batch_norm=True)
    c5 = cfg[-2]
    model.classifier = nn.Sequential(nn.Linear(c5, 24), nn.ReLU(), nn.Dropout(0.0),
                                     nn.Linear(24, 24), nn.ReLU(), nn.Dropout(0.0),
                                     nn.Linear(24, 4))
    return model


def build():
    # torchvision's layout: features (conv, ReLU, [LRN], pool ...), classifier
    layers = []
    cin = 3
    blocks = [[64], [128], [256, 256], [512, 512], [512, 512]]
    for b, block in enumerate(blocks):
        for j, c in enumerate(block):
            layers += [nn.Conv2d(cin, ch(c), 3, padding=1), nn.ReLU()]
            cin = ch(c)
            if b == 0 and j == 0:
                layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
        layers.append(nn.MaxPool2d(2, 2))
    k = SIZE // 32
    classifier = nn.Sequential(
        nn.Flatten(), nn.Linear(cin * k * k, FC), nn.ReLU(), nn.Dropout(0.0),
        nn.Linear(FC, FC), nn.ReLU(), nn.Dropout(0.0), nn.Linear(FC, CLASSES))
    # classifier indices must be 0, 3, 6 as in torchvision: drop the Flatten
    model = nn.Module()
    model.features = nn.Sequential(*layers)
    model.classifier = nn.Sequential(*list(classifier)[1:])
    return model


def forward(model, x):
    return model.classifier(torch.flatten(model.features(x), 1))


def main(bn=False):
    torch.manual_seed(0)
    rng = np.random.default_rng(7)
    model = (build_dbn() if bn else build()).double()
    size = 32 if bn else SIZE
    for name, p in model.named_parameters():
        if name.endswith(".weight"):
            fan_in = p[0].numel()
            p.data = torch.from_numpy(rng.normal(0, np.sqrt(2.0 / fan_in), p.shape))
        else:
            p.data = torch.from_numpy(rng.normal(0, 0.1, p.shape))
    # round the start to float32 so both sides begin from the same numbers
    for p in model.parameters():
        p.data = p.data.float().double()
    x = torch.from_numpy(rng.normal(0, 1, (BATCH, 3, size, size))).float().double()
    labels = torch.tensor([0, 3, 1, 2] if bn else [0, 3, 1, 4])

    out = {"input": x, "labels": labels.double()}
    # fc weights in our layout: fc6 (fc, C, k, k), fc7/fc8 (out, in, 1, 1)
    k = size // 32

    def ours(name, t):
        if name == "classifier.0.weight":
            return t.reshape(t.shape[0], -1, k, k)
        if name in ("classifier.3.weight", "classifier.6.weight"):
            return t.reshape(t.shape[0], t.shape[1], 1, 1)
        return t

    named = list(model.named_parameters())
    running = [(n, b) for n, b in model.named_buffers() if "running" in n]
    for n, p in named + running:
        out["init." + n] = ours(n, p.data.clone())
    decay = [p for n, p in named if n.endswith(".weight")]
    nodecay = [p for n, p in named if n.endswith(".bias")]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": WD},
                           {"params": nodecay, "weight_decay": 0.0}],
                          lr=LR, momentum=MOMENTUM)
    losses = []
    for step in (1, 2):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(forward(model, x), labels)
        loss.backward()
        losses.append(loss.item())
        if step == 1:
            for n, p in named:
                out["grad." + n] = ours(n, p.grad.clone())
        opt.step()
        for n, p in named + running:
            out["step%d.%s" % (step, n)] = ours(n, p.data.clone())
    out["loss"] = torch.tensor(losses)

    header = {"__metadata__": {"made_by": "tests/gen_train_fixtures.py",
                               "lr": str(LR), "momentum": str(MOMENTUM),
                               "weight_decay": str(WD)}}
    blobs = []
    off = 0
    for name, t in out.items():
        a = t.detach().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "train", "step_dbn.safetensors" if bn else
                        "step_alrn.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print("wrote", path, "losses", losses)


if __name__ == "__main__":
    main()
    main(bn=True)
