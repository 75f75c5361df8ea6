"""The peer of tests/gpu/gpu_check.c's timings and of `vggfeat extract`:
the same work in PyTorch + cuDNN on the same GPU, with the same precision
pinned, run by tests/gpu/check.sh.

    torch_peer.py versions
        torch, CUDA, cuDNN and the GPU; exit 1 where torch sees no GPU
    torch_peer.py time PRECISION SECONDS KEY...
        one process for every timing of one precision, KEYs as gpu_check's:
        dense:NET:Q:B  B images of Q x 4Q/3 and their flips through the
                       dense net (fc6 a 7x7 conv, fc7 1x1), fc7 averaged
                       over the map on the GPU, the flip pairs averaged on
                       the host
        train:D:224:B  one SGD step of VGG-16 (momentum 0.9, weight decay
                       5e-4, dropout 0.5) at batch B
        prints "PRECISION ..." (the settings as they took effect) and
        "RESULT KEY images/s" per key
    torch_peer.py jpegs DIR N
        N JPEGs of 500 x 375 (smooth random pictures with noise) in DIR,
        with DIR/list16.txt (the first 16) and DIR/listN.txt
    torch_peer.py pipeline PRECISION LIST BATCH WORKERS
        the descriptor of `vggfeat extract --net D --scales 256` (smallest
        side 256, Pillow's bilinear resize, ImageNet mean/std, image and
        flip, fc7 averaged, L2) over LIST's JPEGs: a DataLoader of WORKERS
        processes and batches of BATCH, pinned memory; prints "RESULT
        pipeline N SECONDS", the seconds from the first batch asked for to
        the last descriptor on the host (the net built and on the GPU
        before)

As gpu_check does: the input is copied host-to-device inside every timed
run (from ordinary host memory through a pinned buffer: our backend's
pinned staging, a pinned tensor here), each run ends with its result on
the host, two untimed runs come first, and runs repeat for at least
SECONDS and 3 runs.  Algorithms: cuDNN's heuristics for the dense nets
(cudnn.benchmark off; ours: cudnnGet*_v7), measured for the training step
(cudnn.benchmark on; ours: cudnnFind*).  PRECISION fp32: no TF32 in
convolutions or matrix products; tf32: both may use it.  Nets are made on
the GPU with torchvision's initialisation from a fixed seed (their values
do not matter for speed)."""
import os
import sys
import time
import warnings

import torch
import torch.nn as nn


def precision_settings():
    parts = []
    getters = (
        ("cudnn.conv.fp32_precision", lambda: torch.backends.cudnn.conv.fp32_precision),
        ("cuda.matmul.fp32_precision", lambda: torch.backends.cuda.matmul.fp32_precision),
        ("cudnn.allow_tf32", lambda: torch.backends.cudnn.allow_tf32),
        ("cuda.matmul.allow_tf32", lambda: torch.backends.cuda.matmul.allow_tf32),
        ("float32_matmul_precision", torch.get_float32_matmul_precision),
        ("cudnn.benchmark", lambda: torch.backends.cudnn.benchmark),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, get in getters:
            try:
                value = get()
            except Exception as e:  # an attribute this torch lacks, or refuses to mix
                value = f"({type(e).__name__})"
            parts.append(f"{name}={value}")
    parts.append("NVIDIA_TF32_OVERRIDE=" + os.environ.get("NVIDIA_TF32_OVERRIDE", "unset"))
    return " ".join(parts)


def pin(precision):
    """TF32 off (fp32) or on (tf32) for convolutions and matrix products,
    through the fp32_precision settings where this torch has them (2.9 and
    later), else the allow_tf32 flags."""
    if precision not in ("fp32", "tf32"):
        sys.exit(f"torch_peer.py: precision '{precision}': expected fp32 or tf32")
    tf32 = precision == "tf32"
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):
        conv.fp32_precision = "tf32" if tf32 else "ieee"
        torch.backends.cuda.matmul.fp32_precision = "tf32" if tf32 else "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32


def device():
    """cuda:0; GPU_PEER_DEVICE=cpu tries the script's logic on a machine
    without a GPU (no timing meaning)"""
    return torch.device(os.environ.get("GPU_PEER_DEVICE", "cuda:0"))


def pinned(t):
    return t.pin_memory() if torch.cuda.is_available() else t.clone()


def made_on(dev, make):
    """make() with its parameters made on dev (initialised there: fast on a
    GPU); torch before 2.0 has no device context: made, then moved"""
    if hasattr(dev, "__enter__"):
        with dev:
            return make()
    return make().to(dev)


def vgg(cfg, dev):
    import torchvision
    torch.manual_seed(0)
    return made_on(dev, torchvision.models.vgg16 if cfg == "D" else torchvision.models.vgg19)


def dense_net(cfg, dev):
    m = vgg(cfg, dev)
    fc6 = made_on(dev, lambda: nn.Conv2d(512, 4096, 7))
    fc7 = made_on(dev, lambda: nn.Conv2d(4096, 4096, 1))
    return nn.Sequential(m.features, fc6, nn.ReLU(inplace=True), fc7,
                         nn.ReLU(inplace=True)).eval()


def rate(one, seconds):
    for _ in range(2):
        one()
    runs, t0 = 0, time.perf_counter()
    while True:
        one()
        runs += 1
        el = time.perf_counter() - t0
        if el >= seconds and runs >= 3:
            return runs / el


def images(b, h, w, flips):
    """b images of (3, h, w), each followed by its flip where flips"""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(b, 3, h, w, generator=g) * 4 - 2
    if not flips:
        return x
    return torch.stack([x, torch.flip(x, dims=[3])], dim=1).reshape(2 * b, 3, h, w)


def cmd_time(precision, seconds, keys):
    dev = device()
    pin(precision)
    nets = {}
    for key in keys:
        kind, cfg, q, b = key.split(":")
        q, b = int(q), int(b)
        if kind == "dense":
            torch.backends.cudnn.benchmark = False
            if cfg not in nets:
                nets[cfg] = dense_net(cfg, dev)
            net = nets[cfg]
            h, w = q, q * 4 // 3
            x = images(b, h, w, True)
            xp = pinned(torch.empty_like(x))

            def one():
                xp.copy_(x)
                xd = xp.to(dev, non_blocking=True)
                with torch.no_grad():
                    pooled = net(xd).mean(dim=(2, 3)).cpu()
                return (pooled[0::2] + pooled[1::2]) * 0.5

            print(f"PRECISION {precision} dense: {precision_settings()}", flush=True)
            ips = b * rate(one, seconds)
        elif kind == "train":
            torch.backends.cudnn.benchmark = True
            net = vgg("D", dev).train()
            opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9, weight_decay=5e-4)
            loss_fn = nn.CrossEntropyLoss()
            x = images(b, 224, 224, False)
            y = torch.arange(b) % 1000
            xp, yp = pinned(torch.empty_like(x)), pinned(torch.empty_like(y))

            def one():
                xp.copy_(x)
                yp.copy_(y)
                xd, yd = xp.to(dev, non_blocking=True), yp.to(dev, non_blocking=True)
                opt.zero_grad(set_to_none=False)
                loss = loss_fn(net(xd), yd)
                loss.backward()
                opt.step()
                return loss.item()

            print(f"PRECISION {precision} train: {precision_settings()}", flush=True)
            ips = b * rate(one, seconds)
            del net, opt
        else:
            sys.exit(f"torch_peer.py time: bad key '{key}'")
        print(f"RESULT {key} {ips:.3f}", flush=True)


def cmd_jpegs(folder, n):
    import numpy as np
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(5)
    paths = []
    for i in range(n):
        base = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
        a = np.asarray(base.resize((500, 375), Image.BICUBIC)).astype(np.int16)
        a = np.clip(a + rng.integers(-10, 11, a.shape), 0, 255).astype(np.uint8)
        p = os.path.join(folder, f"img{i:03d}.jpg")
        Image.fromarray(a).save(p, quality=90)
        paths.append(p)
    for k in (16, n):
        with open(os.path.join(folder, f"list{k}.txt"), "w") as f:
            f.write("".join(p + "\n" for p in paths[:k]))
    print(f"RESULT jpegs {n} {folder}")


class Jpegs(torch.utils.data.Dataset):
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

    def __init__(self, paths, q):
        self.paths, self.q = paths, q

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        import numpy as np
        from PIL import Image
        im = Image.open(self.paths[i]).convert("RGB")
        w, h = im.size
        s = self.q / min(w, h)
        im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)
        x = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1).float().div_(255)
        return (x - self.mean) / self.std


def cmd_pipeline(precision, listfile, batch, workers):
    dev = device()
    pin(precision)
    torch.backends.cudnn.benchmark = False
    with open(listfile) as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    net = dense_net("D", dev)
    loader = torch.utils.data.DataLoader(Jpegs(paths, 256), batch_size=batch,
                                         num_workers=workers,
                                         pin_memory=torch.cuda.is_available())
    rows = []
    print(f"PRECISION {precision} pipeline: {precision_settings()}", flush=True)
    t0 = time.perf_counter()
    for xb in loader:
        xd = xb.to(dev, non_blocking=True)
        with torch.no_grad():
            pooled = net(torch.cat([xd, torch.flip(xd, dims=[3])])).mean(dim=(2, 3))
            d = (pooled[: len(xb)] + pooled[len(xb):]) * 0.5
            d = torch.nn.functional.normalize(d, dim=1)
        rows.append(d.cpu())
    el = time.perf_counter() - t0
    n = sum(len(r) for r in rows)
    print(f"RESULT pipeline {n} {el:.6f}", flush=True)


def cmd_versions():
    print(f"torch {torch.__version__}, built for CUDA {torch.version.cuda}, "
          f"cuDNN {torch.backends.cudnn.version()}, GPU available: {torch.cuda.is_available()}"
          + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""))
    print(f"defaults: {precision_settings()}")
    return 0 if torch.cuda.is_available() else 1


def main(argv):
    usage = ("usage: torch_peer.py versions | time fp32|tf32 SECONDS KEY... | jpegs DIR N | "
             "pipeline fp32|tf32 LIST BATCH WORKERS")
    if len(argv) == 1 and argv[0] == "versions":
        return cmd_versions()
    if len(argv) >= 4 and argv[0] == "time":
        cmd_time(argv[1], float(argv[2]), argv[3:])
        return 0
    if len(argv) == 3 and argv[0] == "jpegs":
        cmd_jpegs(argv[1], int(argv[2]))
        return 0
    if len(argv) == 5 and argv[0] == "pipeline":
        cmd_pipeline(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
