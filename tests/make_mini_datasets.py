#!/usr/bin/python3
"""Miniature copies of the paper's datasets in their official layouts, and
tiny random-weight nets, for tests/test_pipelines.sh.

    make_mini_datasets.py OUTDIR

writes
    OUTDIR/caltech101/101_ObjectCategories/<class>/image_NNNN.jpg
    OUTDIR/caltech256/256_ObjectCategories/NNN.<class>/NNN_NNNN.jpg
    OUTDIR/VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main}
    OUTDIR/VOCdevkit/VOC2012/...                  (train/val sets; a test set
                                                   without annotations, as the
                                                   test release has; action
                                                   images: ImageSets/Action and
                                                   persons with <actions>)
    OUTDIR/ilsvrc/{train/<wnid>/*.JPEG, val/ILSVRC2012_val_NNNNNNNN.JPEG}
    OUTDIR/ilsvrc/ILSVRC2012_validation_ground_truth.txt, synsets.txt
    OUTDIR/models/vgg16.safetensors, vgg19.safetensors
and OUTDIR/expected.txt (class and image counts the test checks).

Images are small JPEGs (Pillow) of a class colour plus noise at assorted
sizes, so that even random-weight features separate the classes somewhat.
The nets are torchvision-keyed VGG-D and VGG-E at width 1/16, fc 32,
input 32, He-scaled normal weights (seeded), written by the small
safetensors writer below.
"""
import json
import os
import struct
import sys

import numpy as np
from PIL import Image

rng = np.random.default_rng(20150410)


def jpeg(path, colour, w, h):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    base = np.array(colour, dtype=np.float32)[None, None, :]
    noise = rng.normal(0, 40, size=(h, w, 3))
    # a class-coloured block on a grey ground, placed at random
    img = np.full((h, w, 3), 128.0) + noise
    bw, bh = w // 2, h // 2
    x, y = rng.integers(0, w - bw), rng.integers(0, h - bh)
    img[y:y + bh, x:x + bw] = base + noise[y:y + bh, x:x + bw]
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)


def size():
    return int(rng.integers(36, 64)), int(rng.integers(34, 60))


COLOURS = [(230, 30, 30), (30, 200, 40), (40, 60, 230), (220, 220, 30), (200, 40, 200),
           (30, 210, 210), (250, 140, 20), (10, 10, 10)]


def caltech101(root, classes, per_class):
    for c, name in enumerate(classes):
        for i in range(per_class[c]):
            jpeg(f"{root}/101_ObjectCategories/{name}/image_{i + 1:04d}.jpg", COLOURS[c], *size())


def caltech256(root, classes, per_class):
    for c, name in enumerate(classes):
        num = name.split(".")[0]
        for i in range(per_class[c]):
            jpeg(f"{root}/256_ObjectCategories/{name}/{num}_{i + 1:04d}.jpg", COLOURS[c], *size())
    # a stray non-image file, as real copies have
    with open(f"{root}/256_ObjectCategories/{classes[0]}/Thumbs.db", "wb") as f:
        f.write(b"\0" * 16)


def voc_xml(img_id, w, h, objects):
    parts = [f"<annotation>\n\t<folder>VOC</folder>\n\t<filename>{img_id}.jpg</filename>\n"
             "\t<source>\n\t\t<database>The VOC Database</database>\n\t</source>\n"
             f"\t<size>\n\t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n"
             "\t<segmented>0</segmented>\n"]
    for name, difficult in objects:
        parts.append(f"\t<object>\n\t\t<name>{name}</name>\n\t\t<pose>Unspecified</pose>\n"
                     f"\t\t<truncated>0</truncated>\n\t\t<difficult>{difficult}</difficult>\n"
                     f"\t\t<bndbox>\n\t\t\t<xmin>1</xmin>\n\t\t\t<ymin>1</ymin>\n"
                     f"\t\t\t<xmax>{w - 1}</xmax>\n\t\t\t<ymax>{h - 1}</ymax>\n\t\t</bndbox>\n")
        if name == "person":
            parts.append("\t\t<part>\n\t\t\t<name>head</name>\n\t\t\t<bndbox>\n\t\t\t\t<xmin>2</xmin>\n"
                         "\t\t\t\t<ymin>2</ymin>\n\t\t\t\t<xmax>9</xmax>\n\t\t\t\t<ymax>9</ymax>\n"
                         "\t\t\t</bndbox>\n\t\t</part>\n")
        parts.append("\t</object>\n")
    parts.append("</annotation>\n")
    return "".join(parts)


def voc(root, year, sets, classes, n_images):
    d = f"{root}/VOCdevkit/VOC{year}"
    os.makedirs(f"{d}/Annotations", exist_ok=True)
    os.makedirs(f"{d}/ImageSets/Main", exist_ok=True)
    ids = [f"{year}_{i + 1:06d}" if year == 2012 else f"{i + 1:06d}" for i in range(n_images)]
    labels = {}
    for i, img_id in enumerate(ids):
        # each image: a main class (round robin, so every set has positives
        # of every class), sometimes a second class, sometimes a difficult one
        main = classes[i % len(classes)]
        objs = [(main, 0)]
        if i % 3 == 0:
            objs.append((classes[(i + 1) % len(classes)], 0))
        if i % 4 == 1:
            objs.append((classes[(i + 2) % len(classes)], 1))
        w, h = size()
        jpeg(f"{d}/JPEGImages/{img_id}.jpg", COLOURS[classes.index(main)], w, h)
        with open(f"{d}/Annotations/{img_id}.xml", "w") as f:
            f.write(voc_xml(img_id, w, h, objs))
        labels[img_id] = objs
    # alternate images between the two sets so each gets every class
    first = [x for i, x in enumerate(ids) if (i // len(classes)) % 2 == 0]
    second = [x for x in ids if x not in first]
    for name, members in zip(sets, (first, second)):
        with open(f"{d}/ImageSets/Main/{name}.txt", "w") as f:
            f.write("".join(x + "\n" for x in members))
        for c in classes:  # the per-class files the devkit also has
            with open(f"{d}/ImageSets/Main/{c}_{name}.txt", "w") as f:
                for x in members:
                    objs = labels[x]
                    v = 1 if (c, 0) in objs else (0 if (c, 1) in objs else -1)
                    f.write(f"{x} {v:2d}\n")
    with open(f"{d}/ImageSets/Main/trainval.txt", "w") as f:
        f.write("".join(x + "\n" for x in ids if year == 2012 or x in first))
    return len(first), len(second)


ACTIONS = ["jumping", "other", "phoning", "playinginstrument", "reading", "ridingbike",
           "ridinghorse", "running", "takingphoto", "usingcomputer", "walking"]


def gt(action, ignored, acts):
    """A person's value in <action>_<set>.txt: 1, -1, or 0 (left out)."""
    if action == "jumping" and ignored:
        return 0
    return 1 if action in acts else -1


def voc_actions(root, n_images, used=("jumping", "phoning", "running", "other")):
    """VOC-2012's action layout: images whose persons carry <actions> (a
    horse first in some, so the devkit's object numbers count it), each
    person's box filled with its action's colour; ImageSets/Action/
    {train,val,trainval}.txt and <action>_<set>.txt ("id objid gt", a 0
    for one person of each set).
    Own generator, so the other sets' images stay as they were."""
    global rng
    keep, rng = rng, np.random.default_rng(2010)
    d = f"{root}/VOCdevkit/VOC2012"
    os.makedirs(f"{d}/ImageSets/Action", exist_ok=True)
    sets = {"train": [], "val": []}
    persons = []   # (id, objid, actions)
    for i in range(n_images):
        img_id = f"2012_{300001 + i:06d}"
        w, h = int(rng.integers(60, 80)), int(rng.integers(48, 64))
        img = np.full((h, w, 3), 128.0) + rng.normal(0, 30, size=(h, w, 3))
        objs = ["horse"] if i % 3 == 0 else []
        for j in range(1 + i % 2):
            acts = {used[(i // 2 + j) % len(used)]}
            if i % 5 == 0 and "other" not in acts:
                acts.add("running")
            objs.append(acts)
        parts = [f"<annotation>\n\t<filename>{img_id}.jpg</filename>\n\t<size>\n\t\t<width>{w}"
                 f"</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n"]
        for k, o in enumerate(objs):
            # persons side by side, touching the top and bottom; 1-based inclusive
            x0, x1 = 1 + k * (w // 3), min(w, (k + 2) * (w // 3))
            if o == "horse":
                parts.append(f"\t<object>\n\t\t<name>horse</name>\n\t\t<bndbox>\n\t\t\t<xmin>{x0}"
                             f"</xmin>\n\t\t\t<ymin>1</ymin>\n\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>"
                             f"{h}</ymax>\n\t\t</bndbox>\n\t</object>\n")
                continue
            colour = COLOURS[used.index(sorted(o)[0])]
            img[:, x0 - 1:x1] = np.array(colour) + rng.normal(0, 30, size=(h, x1 - x0 + 1, 3))
            flags = "".join(f"\t\t\t<{a}>{int(a in o)}</{a}>\n" for a in ACTIONS)
            parts.append(f"\t<object>\n\t\t<name>person</name>\n\t\t<actions>\n{flags}"
                         f"\t\t</actions>\n\t\t<bndbox>\n\t\t\t<xmin>{x0}</xmin>\n\t\t\t<ymin>1"
                         f"</ymin>\n\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>{h}</ymax>\n\t\t</bndbox>\n"
                         "\t</object>\n")
            persons.append((img_id, k + 1, o))
        parts.append("</annotation>\n")
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(f"{d}/JPEGImages/{img_id}.jpg",
                                                                   quality=90)
        with open(f"{d}/Annotations/{img_id}.xml", "w") as f:
            f.write("".join(parts))
        sets["train" if i % 4 < 2 else "val"].append(img_id)
    sets["trainval"] = sets["train"] + sets["val"]
    for name, ids in sets.items():
        with open(f"{d}/ImageSets/Action/{name}.txt", "w") as f:
            f.write("".join(x + "\n" for x in ids))
        # the first "other" person of each set is left out of jumping (gt 0),
        # as the devkit's files do for some persons
        first_other = [next(p for p in persons if p[0] in sets[t] and "other" in p[2])
                       for t in ("train", "val")]
        for a in ACTIONS[:1] + ACTIONS[2:]:
            with open(f"{d}/ImageSets/Action/{a}_{name}.txt", "w") as f:
                f.write("".join(f"{x} {k} {gt(a, (x, k, o) in first_other, o):2d}\n"
                                for x, k, o in persons if x in ids))
    rng = keep
    return sum(1 for p in persons if p[0] in sets["train"]), sum(1 for p in persons if p[0] in sets["val"])


def voc_test(root, year, classes, n_images):
    """The test release: JPEGImages and ImageSets/Main/test.txt only (its
    own generator, so the other sets' images stay as they were)."""
    global rng
    keep, rng = rng, np.random.default_rng(2012)
    d = f"{root}/VOCdevkit/VOC{year}"
    ids = [f"{year}_{100001 + i:06d}" for i in range(n_images)]
    for i, img_id in enumerate(ids):
        jpeg(f"{d}/JPEGImages/{img_id}.jpg", COLOURS[i % len(classes)], *size())
    with open(f"{d}/ImageSets/Main/test.txt", "w") as f:
        f.write("".join(x + "\n" for x in ids))
    rng = keep
    return len(ids)


def ilsvrc(root, wnids, id_of_wnid, per_class, n_val):
    for c, w in enumerate(wnids):
        for i in range(per_class):
            jpeg(f"{root}/ilsvrc/train/{w}/{w}_{i + 1}.JPEG", COLOURS[c], *size())
    gt = []
    for i in range(n_val):
        c = i % len(wnids)
        jpeg(f"{root}/ilsvrc/val/ILSVRC2012_val_{i + 1:08d}.JPEG", COLOURS[c], *size())
        gt.append(id_of_wnid[wnids[c]])
    with open(f"{root}/ilsvrc/ILSVRC2012_validation_ground_truth.txt", "w") as f:
        f.write("".join(f"{x}\n" for x in gt))
    with open(f"{root}/ilsvrc/synsets.txt", "w") as f:
        for w in sorted(wnids, key=lambda w: id_of_wnid[w]):
            f.write(f"{w}\t{id_of_wnid[w]}\n")


# ---- tiny nets ----

CONV = {"D": [4, 4, "M", 8, 8, "M", 16, 16, 16, "M", 32, 32, 32, "M", 32, 32, 32, "M"],
        "E": [4, 4, "M", 8, 8, "M", 16, 16, 16, 16, "M", 32, 32, 32, 32, "M", 32, 32, 32, 32, "M"]}


def save_safetensors(path, tensors, meta):
    header = {"__metadata__": meta}
    off = 0
    blobs = []
    for name, t in tensors:
        b = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def tiny_net(path, config, fc=32, classes=10, seed=0):
    r = np.random.default_rng(seed)
    tensors = []
    idx, cin = 0, 3
    for v in CONV[config]:
        if v == "M":
            idx += 1
            continue
        w = r.normal(0, np.sqrt(2.0 / (cin * 9)), size=(v, cin, 3, 3))
        tensors += [(f"features.{idx}.weight", w), (f"features.{idx}.bias", r.normal(0, 0.01, v))]
        idx += 2
        cin = v
    for i, (o, n) in enumerate([(fc, cin), (fc, fc), (classes, fc)]):
        tensors += [(f"classifier.{3 * i}.weight", r.normal(0, np.sqrt(2.0 / n), size=(o, n))),
                    (f"classifier.{3 * i}.bias", r.normal(0, 0.01, o))]
    meta = {"format": "vggfeat-weights-1", "config": config, "width": "0.0625",
            "fc_dim": str(fc), "num_classes": str(classes), "input_size": "32",
            "pool_round": "floor", "channel_order": "RGB", "input_range": "1",
            "mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225"}
    save_safetensors(path, tensors, meta)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    exp = []
    c101 = ["BACKGROUND_Google", "Faces_easy", "ant", "bonsai"]
    caltech101(f"{out}/caltech101", c101, [9, 8, 8, 7])
    exp.append(f"caltech101 classes {len(c101)}")
    c256 = ["001.ak47", "002.american-flag", "003.backpack", "257.clutter"]
    caltech256(f"{out}/caltech256", c256, [9, 10, 8, 11])
    exp.append(f"caltech256 classes {len(c256)}")
    voc_classes = ["cat", "dog", "person"]
    a, b = voc(out, 2007, ("trainval", "test"), voc_classes, 24)
    exp.append(f"voc2007 classes {len(voc_classes)} train {a} eval {b}")
    a, b = voc(out, 2012, ("train", "val"), voc_classes, 24)
    exp.append(f"voc2012 classes {len(voc_classes)} train {a} eval {b}")
    # ILSVRC2012_IDs deliberately not in sorted-wnid order
    wnids = ["n01440764", "n01443537", "n01484850"]
    ilsvrc(out, wnids, {"n01440764": 3, "n01443537": 1, "n01484850": 2}, 6, 9)
    exp.append(f"ilsvrc classes {len(wnids)} train {6 * len(wnids)} val 9")
    os.makedirs(f"{out}/models", exist_ok=True)
    tiny_net(f"{out}/models/vgg16.safetensors", "D", seed=16)
    tiny_net(f"{out}/models/vgg19.safetensors", "E", seed=19)
    n = voc_test(out, 2012, voc_classes, 7)
    exp.append(f"voc2012 test {n}")
    a, b = voc_actions(out, 16)
    exp.append(f"voc2012 actions train {a} val {b}")
    with open(f"{out}/expected.txt", "w") as f:
        f.write("".join(x + "\n" for x in exp))


if __name__ == "__main__":
    main()
