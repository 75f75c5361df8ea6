#!/usr/bin/env python3
"""Independent recomputation of what the pipelines print, from the files
they leave, with numpy and (where installed) LIBLINEAR's own
liblinear-predict; nothing here calls vggsvm's predict or eval.

  recompute_metrics.py quickstart OUT BIN_DIR
      For every target (hangul, fmnist: the table's two columns), kind
      (pretrained, de-final, de-per-net, random, pixels) and split of a quickstart run in OUT: the test store exported as CSV (vggfeat export); the
      scores recomputed from the LIBLINEAR model text as X.w (+ bias) and
      compared with scores.tsv; the classes predicted by liblinear-predict
      on the store exported in LIBLINEAR's format and compared with the
      scores' arg max; mean class recall from those predictions and the
      true labels, compared with metrics.json; and mean +- std (n - 1)
      over the splits, compared with the table the quickstart printed
      (its log on standard input).

  recompute_metrics.py voc SCORES LABELS AP_TSV MAP voc07|area
      The per-class AP of a VOC run recomputed from scores.tsv and the
      labels file ('class?' = difficult, left out of that class's
      ranking): VOC-2007's 11-point AP or the area under the monotone
      precision/recall curve (VOC-2010 on), tied scores one threshold.
      Compared with ap.tsv (percent, 2 decimals) and the printed mAP.

  recompute_metrics.py voc-actions VOCDIR SET LIST LABELS
      A VOC-2012 action box list (vggdata voc --actions) against the
      devkit: ImageSets/Action/SET.txt's images, every annotation object
      with <actions> in order, its box from 1-based inclusive to 0-based
      exclusive, its actions sorted (none for "other"), and each person's
      line in <action>_SET.txt ("id objid gt") agreeing, gt 0 written
      "action?" (left out of that action); and the labels
      file naming each row as vggfeat does ("path#x1,y1,x2,y2").

Prints one line per check; exit 1 on the first mismatch.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np


def fail(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


def read_scores(path):
    with open(path) as f:
        rows = [line.rstrip("\r\n").split("\t") for line in f if line.strip()]
    classes = rows[0][1:]
    names = [r[0] for r in rows[1:]]
    s = np.array([[float(v) for v in r[1:]] for r in rows[1:]], dtype=np.float64)
    return classes, names, s


def read_model(path):
    """LIBLINEAR model text -> (labels, nr_feature, bias, W (rows, nr_w))."""
    with open(path) as f:
        lines = f.read().split("\n")
    head = {}
    i = 0
    while lines[i] != "w":
        k, _, v = lines[i].partition(" ")
        head[k] = v
        i += 1
    labels = [int(x) for x in head["label"].split()]
    nf = int(head["nr_feature"])
    bias = float(head["bias"])
    rows = nf + (1 if bias >= 0 else 0)
    w = np.array([[float(x) for x in lines[i + 1 + j].split()] for j in range(rows)])
    return head["solver_type"], labels, nf, bias, w


def class_scores(model, x):
    """Decision values (n, K) in class-index order (label k + 1 = class k)."""
    solver, labels, nf, bias, w = model
    if x.shape[1] != nf:
        fail("store dimension %d, model %d" % (x.shape[1], nf))
    xb = np.hstack([x, np.full((x.shape[0], 1), bias)]) if bias >= 0 else x
    d = xb @ w
    K = len(labels)
    out = np.zeros((x.shape[0], K))
    if w.shape[1] == 1 and K == 2:
        out[:, labels[0] - 1] = d[:, 0]
        out[:, labels[1] - 1] = -d[:, 0]
    else:
        for c, lab in enumerate(labels):
            out[:, lab - 1] = d[:, c]
    return out


def export(bindir, store, fmt, out):
    subprocess.run([os.path.join(bindir, "vggfeat"), "export", store, "--format", fmt,
                    "-o", out], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def mean_class_recall(truth, pred, classes):
    r = [np.mean(pred[truth == c] == c) for c in range(len(classes)) if np.any(truth == c)]
    return float(np.mean(r))


QUICKSTART_TARGETS = ("hangul", "fmnist")   # the table's columns, in order


def quickstart(out, bindir):
    log = sys.stdin.read()
    for column, target in enumerate(QUICKSTART_TARGETS):
        quickstart_target(os.path.join(out, "svm", target), bindir, log, target, column)


def quickstart_target(svm_dir, bindir, log, target, column):
    tmp = tempfile.mkdtemp()
    predict = shutil.which("liblinear-predict")
    if not predict:
        if os.environ.get("VGG_REQUIRE_REFERENCES") == "1":
            fail("liblinear-predict (liblinear-tools) is missing, and VGG_REQUIRE_REFERENCES=1 "
                 "says everything the tests use is installed here")
        print("note: liblinear-predict not installed; predictions from the numpy scores only")
    table = {"pretrained": "pretrained D-BN/8", "de-final": "D-BN/8 & E-BN/8 stacked, L2 final",
             "de-per-net": "D-BN/8 & E-BN/8 stacked, L2 per net",
             "random": "control: same net, random weights", "pixels": "control: raw pixels"}
    for kind, row in table.items():
        recalls = []
        splits = sorted(d for d in os.listdir(os.path.join(svm_dir, kind)) if d.startswith("split"))
        if len(splits) != 3:
            fail("%s %s: %d splits, expected 3" % (target, kind, len(splits)))
        for sp in splits:
            d = os.path.join(svm_dir, kind, sp)
            sp = target + " " + sp
            csvp = os.path.join(tmp, "test.csv")
            export(bindir, os.path.join(d, "test.vggf"), "csv", csvp)
            with open(csvp, newline="") as f:
                r = list(csv.reader(f))
            names = [x[0] for x in r[1:]]
            labels = [x[1] for x in r[1:]]
            x = np.array([[float(v) for v in row_[2:]] for row_ in r[1:]], dtype=np.float64)
            with open(os.path.join(d, "svm.model.json")) as f:
                classes = json.load(f)["classes"]
            model = read_model(os.path.join(d, "svm.model"))
            s = class_scores(model, x)
            sc_classes, sc_names, sc = read_scores(os.path.join(d, "scores.tsv"))
            if sc_classes != classes or sc_names != names:
                fail("%s %s: scores.tsv classes or rows differ from the model and the store" % (kind, sp))
            err = np.max(np.abs(sc - s) / (1 + np.abs(s)))
            if err > 1e-5:
                fail("%s %s: scores.tsv differs from X.w by %.3g" % (kind, sp, err))
            truth = np.array([classes.index(lab) for lab in labels])
            pred = np.argmax(s, axis=1)
            if predict:
                ll = os.path.join(tmp, "test.liblinear")
                export(bindir, os.path.join(d, "test.vggf"), "liblinear", ll)
                po = os.path.join(tmp, "pred.txt")
                subprocess.run([predict, ll, os.path.join(d, "svm.model"), po], check=True,
                               stdout=subprocess.DEVNULL)
                # the export numbers the classes 1..K in sorted order, as vggsvm does
                lp = np.loadtxt(po, dtype=int, ndmin=1) - 1
                top2 = np.sort(s, axis=1)[:, -2:]
                clear = top2[:, 1] - top2[:, 0] > 1e-6
                if np.any(lp[clear] != pred[clear]):
                    fail("%s %s: liblinear-predict and the arg max of X.w disagree on %d rows"
                         % (kind, sp, int(np.sum(lp[clear] != pred[clear]))))
                pred = lp
            rec = mean_class_recall(truth, pred, classes)
            with open(os.path.join(d, "metrics.json")) as f:
                got = json.load(f)["mean_class_recall"]
            if abs(got - rec) > 1e-9:
                fail("%s %s: metrics.json mean class recall %.6f, recomputed %.6f" % (kind, sp, got, rec))
            recalls.append(100 * rec)
            print("ok: %s %s: %d test images, scores = X.w, mean class recall %.2f%%"
                  % (kind, sp, len(names), 100 * rec))
        m, sd = np.mean(recalls), np.std(recalls, ddof=1)
        line = [l for l in log.splitlines() if l.strip().startswith(row)]
        if len(line) != 1:
            fail("no table row '%s' in the quickstart's output" % row)
        nums = re.findall(r"(-?[0-9]+\.[0-9]) \u00b1 ([0-9]+\.[0-9])", line[0])
        if len(nums) != len(QUICKSTART_TARGETS):
            fail("table row without a 'mean \u00b1 std' per target: %s" % line[0])
        pm, psd = float(nums[column][0]), float(nums[column][1])
        # the printed figures are rounded to one decimal (from recalls of two)
        if abs(pm - m) > 0.056 or abs(psd - sd) > 0.056:
            fail("%s %s: table says %.1f \u00b1 %.1f, recomputed %.3f \u00b1 %.3f"
                 % (target, kind, pm, psd, m, sd))
        print("ok: table row '%s', %s: %.1f \u00b1 %.1f (recomputed %.3f \u00b1 %.3f)"
              % (row, target, pm, psd, m, sd))
    shutil.rmtree(tmp)


def average_precision(score, truth, mode):
    """truth: +1, -1, 0 (difficult: left out)."""
    keep = truth != 0
    score, pos = score[keep], truth[keep] == 1
    npos = int(np.sum(pos))
    if npos == 0:
        return None
    order = np.argsort(-score, kind="stable")
    score, pos = score[order], pos[order]
    tp, fp = np.cumsum(pos), np.cumsum(~pos)
    # one threshold per distinct score: the last row of each run of ties
    last = np.r_[score[1:] != score[:-1], True]
    rec = tp[last] / npos
    prec = tp[last] / (tp[last] + fp[last])
    if mode == "voc07":
        return float(np.mean([np.max(prec[rec >= t]) if np.any(rec >= t) else 0.0
                              for t in np.linspace(0, 1, 11)]))
    mrec = np.r_[0.0, rec, 1.0]
    mpre = np.r_[0.0, prec, 0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc(scores, labels, ap_tsv, printed_map, mode):
    classes, names, s = read_scores(scores)
    truth = {}
    with open(labels) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            name, _, text = line.partition("\t")
            t = np.full(len(classes), -1, dtype=int)
            for item in filter(None, text.split(",")):
                c = classes.index(item.rstrip("?"))
                if item.endswith("?"):
                    t[c] = max(t[c], 0)
                else:
                    t[c] = 1
            truth[name] = t
    if sorted(truth) != sorted(names):
        fail("%s and %s name different images" % (scores, labels))
    tm = np.array([truth[n] for n in names])
    got = {}
    with open(ap_tsv) as f:
        for line in f:
            c, v = line.rstrip("\n").split("\t")
            got[c] = v
    aps = []
    for k, c in enumerate(classes):
        ap = average_precision(s[:, k], tm[:, k], mode)
        want = "n/a" if ap is None else "%.2f" % (100 * ap)
        g = got.get(c)
        if g is None or (want == "n/a") != (g == "n/a") or (ap is not None and abs(float(g) - 100 * ap) > 0.0051):
            fail("%s: AP %s in %s, recomputed %s" % (c, g, ap_tsv, want))
        if ap is not None:
            aps.append(100 * ap)
        print("ok: %s AP %s (%s positives, %s difficult)" % (c, want, int(np.sum(tm[:, k] == 1)),
                                                           int(np.sum(tm[:, k] == 0))))
    m = float(np.mean(aps))
    if abs(m - float(printed_map)) > 0.051:
        fail("mAP printed %s, recomputed %.3f" % (printed_map, m))
    print("ok: mAP %s (recomputed %.3f)" % (printed_map, m))


ACTIONS = ["jumping", "phoning", "playinginstrument", "reading", "ridingbike", "ridinghorse",
           "running", "takingphoto", "usingcomputer", "walking"]


def voc_actions(vocdir, set_name, list_path, labels_path):
    import xml.etree.ElementTree as ET
    want, gt = [], {}
    with open(os.path.join(vocdir, "ImageSets", "Action", set_name + ".txt")) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    for a in ACTIONS:
        with open(os.path.join(vocdir, "ImageSets", "Action", "%s_%s.txt" % (a, set_name))) as f:
            for line in f:
                i, k, v = line.split()
                gt[(i, int(k), a)] = int(v)
    for i in ids:
        root = ET.parse(os.path.join(vocdir, "Annotations", i + ".xml")).getroot()
        for k, o in enumerate(root.findall("object"), 1):
            acts = o.find("actions")
            if acts is None:
                continue
            on = [a for a in ACTIONS if acts.find(a) is not None and acts.find(a).text.strip() == "1"]
            for a in ACTIONS:
                if gt.get((i, k, a)) not in (0, 1 if a in on else -1):
                    fail("%s object %d: %s is %s in the annotation, %s in %s_%s.txt"
                         % (i, k, a, a in on, gt.get((i, k, a)), a, set_name))
            # 0 in the action's file: left out of it ("action?")
            label = [a + ("?" if gt[(i, k, a)] == 0 else "") for a in ACTIONS
                     if a in on or gt[(i, k, a)] == 0]
            b = [int(o.find("bndbox").find(t).text) for t in ("xmin", "ymin", "xmax", "ymax")]
            want.append("%s/JPEGImages/%s.jpg\t%s\tbox=%d,%d,%d,%d"
                        % (vocdir, i, ",".join(label), b[0] - 1, b[1] - 1, b[2], b[3]))
    got = open(list_path).read().split("\n")[:-1]
    if got != want:
        fail("%s differs from the annotations: %s" % (list_path, [(g, w) for g, w in zip(got, want) if g != w][:3] or (len(got), len(want))))
    print("ok: %s: %d persons as annotated" % (list_path, len(want)))
    labels = open(labels_path).read().split("\n")[:-1]
    names = ["%s#%s\t%s" % (w.split("\t")[0], w.split("\t")[2][4:], w.split("\t")[1]) for w in want]
    if labels != names:
        fail("%s does not name the rows path#x1,y1,x2,y2 with the list's labels" % labels_path)
    print("ok: %s names the rows as vggfeat does" % labels_path)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "quickstart":
        quickstart(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "voc" and sys.argv[6] in ("voc07", "area"):
        voc(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "voc-actions":
        voc_actions(*sys.argv[2:])
    else:
        sys.exit(__doc__)
