#!/usr/bin/env python3
"""Seed corpora of the file-parser fuzz harnesses (tests/fuzz/corpus/<name>/):
small valid files of each format and a few near misses, written by hand
from the formats' descriptions (classifier/README.md, docs/extract.md, the
idx layout of LeCun's MNIST page).  Run from anywhere:
    python3 tests/fuzz/gen_corpus.py
"""
import gzip
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(name, fname, data):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


# ---- svm_model: sidecar JSON, NUL, LIBLINEAR model text ("@SHA@" is the
# text's digest, filled in by the harness)
def sidecar(classes, dim, multilabel=False, solver=1, features=None):
    o = {"format": "vggsvm-model", "version": 1, "model_sha256": "@SHA@",
         "multilabel": multilabel, "solver": solver, "solver_name": "L2R_L2LOSS_SVC_DUAL",
         "bias": 1.0, "dim": dim, "classes": classes, "C": [1.0] * len(classes)}
    if features is not None:
        o["features"] = features
    return json.dumps(o)


def model_text(solver, labels, dim, bias, rows):
    s = "solver_type %s\nnr_class %d\nlabel %s\nnr_feature %d\nbias %s\nw\n" % (
        solver, len(labels), " ".join(str(x) for x in labels), dim, bias)
    return s + "".join(" ".join(repr(v) for v in r) + " \n" for r in rows)


put("svm_model", "three_classes", sidecar(["cat", "dog", "eel"], 2) + "\0" +
    model_text("L2R_L2LOSS_SVC_DUAL", [1, 2, 3], 2, "1",
               [[0.5, -0.25, 1e-3], [2.0, 0.0, -7.5], [0.125, 0.0, 1.0]]))
put("svm_model", "binary", sidecar(["no", "yes"], 3) + "\0" +
    model_text("L2R_L2LOSS_SVC_DUAL", [2, 1], 3, "-1", [[0.5], [-1.5], [3.25]]))
put("svm_model", "multilabel_cs", sidecar(["a", "b"], 1, multilabel=True, solver=4) + "\0" +
    model_text("MCSVM_CS", [1, 2], 1, "1", [[1.0, -1.0], [0.5, 0.25]]))
put("svm_model", "with_features", sidecar(["a", "b", "c"], 1, features={
    "weights_sha256": "00" * 32, "scales": [256, 384], "flip": True,
    "aggregate": "stack", "normalize": "l2", "dim": 1}) + "\0" +
    model_text("L2R_L2LOSS_SVC_DUAL", [1, 2, 3], 1, "-1", [[1.0, 2.0, 3.0]]))
# found by the harness: a sidecar's solver number without a name
put("svm_model", "unknown_solver", sidecar(["a", "b", "c"], 1, multilabel=True, solver=99) + "\0" +
    model_text("MCSVM_CS", [1, 2, 3], 1, "-1", [[1.0, 2.0, 3.0]]))
put("svm_model", "cut_short", sidecar(["a", "b", "c"], 2) + "\0" +
    model_text("L2R_L2LOSS_SVC_DUAL", [1, 2, 3], 2, "-1", [[1.0, 2.0, 3.0]]))

# ---- svm_scores: TSV and JSON
put("svm_scores", "tsv", "name\tcat\tdog\na.jpg\t0.5\t-1.25\nb.jpg\t-2\t3e-5\n\nc.jpg\tnan\tinf\n")
put("svm_scores", "tsv_crlf", "name\tx\r\none\t1\r\n")
put("svm_scores", "json", json.dumps({
    "classes": ["cat", "dog"], "multilabel": True,
    "images": [{"name": "a.jpg", "scores": [0.5, -1.0]}, {"name": "b.jpg", "scores": [2, 3]}]}))
put("svm_scores", "bad_count", "name\ta\tb\nx\t1\n")
# a score that needs all 17 digits to be read back the same (written with
# 9 it came back another double: a finding of this harness), an invalid
# UTF-8 class name
put("svm_scores", "digits17",
    b"name\tcat\tdog\xb3\na.jpg\t0.55555555555555555\t-1.25\nb.jpg\t-2\t3e-4\n")

# ---- svm_labels: name<TAB>label[,label...]; '?' marks a difficult class
put("svm_labels", "single", "# a comment\na.jpg\tcat\nb.jpg\tdog\n\nc.jpg\tcat\r\n\x00")
put("svm_labels", "multi", "1\tcat,dog\n2\t?cat\n3\t\n4\tdog,?cat\n\x02")
put("svm_labels", "twice", "a\tx\nb\ty\na\tx\n\x01")

# ---- inputs: path[<TAB>label]
put("inputs", "plain", "images/a.jpg\nimages/b.png\tcat\n\n/abs/c.jpeg\tdog\r\n")
put("inputs", "bad", "a\tb\tc\n\tx\n")


# ---- idx: 2-byte length of the images file, images (idx3), labels (idx1)
def idx3(n, rows, cols, seed=1):
    px = bytes((i * 37 + seed) % 256 for i in range(n * rows * cols))
    return struct.pack(">IIII", 0x803, n, rows, cols) + px


def idx1(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def pair(images, labels):
    return struct.pack("<H", len(images)) + images + labels


put("idx", "plain", pair(idx3(3, 2, 3), idx1([0, 7, 12])))
put("idx", "gzip", pair(gzip.compress(idx3(2, 4, 4), mtime=0), gzip.compress(idx1([1, 3]), mtime=0)))
put("idx", "short", pair(idx3(3, 2, 3)[:-4], idx1([0, 1, 2])))
put("idx", "huge_header", pair(struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF), idx1([0])))


# ---- safetensors: 8-byte header length, JSON header, raw tensors
def safetensors(tensors, meta=None):
    header, blob = {}, b""
    if meta:
        header["__metadata__"] = meta
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob


# found by the harness: an I64 tensor (batch-norm's num_batches_tracked), read
# by the library but outside the harness's own table of element sizes
put("safetensors", "i64_bn_count", safetensors([
    ("features.1.num_batches_tracked", "I64", [], struct.pack("<q", 7)),
    ("features.1.running_mean", "F32", [2], struct.pack("<2f", 0.5, -1.0))]))
