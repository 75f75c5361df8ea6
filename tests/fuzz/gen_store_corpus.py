#!/usr/bin/env python3
"""Seed corpus for fuzz_store: small feature stores written from the format
in docs/feature-store.md alone (struct + zlib.crc32), independently of our
writer.  Run from the repository root:
    python3 tests/fuzz/gen_store_corpus.py tests/fuzz/corpus/store
"""
import json
import os
import struct
import sys
import zlib


def store(dim, nb, lb, rows, layer="fc7", nets=None, index_step=1):
    nets = nets if nets is not None else [{"name": "D", "config": "D", "digest": "ab" * 32}]
    desc = {"dim": dim, "nets": nets, "scales": [256], "aggregate": "stack",
            "layer": layer, "flip": False, "l2": True, "version": "0.1.0"}
    rec = 16 + nb + lb + 4 * dim
    off = 0
    for _ in range(8):
        js = json.dumps({"format": "vggfeat-features-1", "desc": desc,
                         "layout": {"data_offset": off, "record_bytes": rec, "dim": dim,
                                    "name_bytes": nb, "label_bytes": lb}},
                        separators=(",", ":")) + "\n"
        need = (64 + len(js) + 63) // 64 * 64
        if need == off:
            break
        off = need
    head = bytearray(off)
    head[64:] = b" " * (off - 64)
    struct.pack_into("<8sIIIIQQI", head, 0, b"VGGFEAT\0", 1, dim, nb, lb, rec, off, len(js))
    head[64:64 + len(js)] = js.encode()
    struct.pack_into("<I", head, 44, zlib.crc32(bytes(head)))
    out = bytes(head)
    for i, (name, label, x) in enumerate(rows):
        r = bytearray(rec)
        n, l = name.encode(), label.encode()
        struct.pack_into("<QIHH", r, 0, i * index_step, 0, len(n), len(l))
        r[16:16 + len(n)] = n
        r[16 + nb:16 + nb + len(l)] = l
        struct.pack_into("<%df" % dim, r, 16 + nb + lb, *x)
        struct.pack_into("<I", r, 8, zlib.crc32(bytes(r)))
        out += bytes(r)
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    seeds = {
        "empty.vggf": store(4, 16, 8, []),
        "labelled.vggf": store(4, 16, 8, [("a.jpg", "cat", [1, 0, 0, 0]),
                                          ("b.jpg", "dog", [0, 1, 0, 0]),
                                          ("a.jpg", "cat", [0, 0, 1, 0])], index_step=3),
        "numeric.vggf": store(2, 8, 8, [("x", "1", [0.5, 0.5]), ("y", "-2", [1, 2])]),
        "pixels.vggf": store(3, 8, 8, [("p", "", [1, 2, 3])], layer="pixels", nets=[]),
    }
    cut = store(4, 16, 8, [("a.jpg", "cat", [1, 0, 0, 0]), ("b.jpg", "", [0, 1, 0, 0])])
    seeds["cut_tail.vggf"] = cut[:-7]
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
