"""The Python bindings (python/vggfeat) on tiny nets (tests/extract_ref.py).

Run by CTest:
    test_python_lib.py source BUILD
        the package of the source tree (PYTHONPATH=python, VGGFEAT_LIB set):
        Extractor rows byte for byte those of `vggfeat extract` (files,
        settings, boxes); Store.rows equal to `vggfeat export --format npy`
        and a view of the file, not a copy; names, labels, indices and the
        description; a PIL image, numpy arrays (RGB, BGR, padded rows,
        gray) and the file give one row; errors name the file; the
        README's example, run as examples/linear_svm.py; and, when BUILD is
        the tree's build/, the package finding build/lib by itself.
    test_python_lib.py installed BUILD PYDIR
        `cmake --install BUILD --prefix TMP --component libvggfeat` and
        `--component python`, then the package imported from TMP/PYDIR in a
        clean environment finds TMP's library and gives vggfeat extract's rows.

Exit 0 pass, 1 fail, 77 skip (numpy or Pillow missing).
"""
import gc
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # reported as a skip by CTest (SKIP_RETURN_CODE 77)
    print("skipped: %s" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from extract_ref import cmd_nets, read_store  # noqa: E402

mode, build = sys.argv[1], os.path.abspath(sys.argv[2])
VGGFEAT = os.path.join(build, "bin", "vggfeat")
NETD, NETE = "nets/netD.safetensors", "nets/netE.safetensors"

failures = []
passed = [0]


def check(cond, what):
    if cond:
        passed[0] += 1
    else:
        failures.append(what)
        print("FAIL: " + what)


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
    return r


def extract(out, *args):
    r = run(VGGFEAT, "extract", "--quiet", "--threads", "1", "-o", out, *args)
    check(r.returncode == 0, "vggfeat extract %s: %s" % (" ".join(args), r.stderr))


def export_npy(store):
    r = run(VGGFEAT, "export", store, "--format", "npy", "-o", store + ".npy")
    check(r.returncode == 0, "vggfeat export %s" % store)
    return np.load(store + ".npy")


def same_bytes(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def expect_error(fn, *needles, status=None):
    """fn() raises vggfeat.Error whose message holds every needle."""
    import vggfeat
    try:
        fn()
    except vggfeat.Error as e:
        msg = str(e)
        check(all(n in msg for n in needles), "message %r lacks %r" % (msg, needles))
        if status:
            check(e.status == status, "status %r, expected %r (%s)" % (e.status, status, msg))
        return
    check(False, "no vggfeat.Error (expected one naming %r)" % (needles,))


def setup():
    work = tempfile.mkdtemp(prefix="vgg_python_lib_%s_" % mode)
    os.chdir(work)
    cmd_nets("nets")
    shutil.copytree(os.path.join(HERE, "fixtures", "extract", "imgs"), "imgs")
    os.makedirs("models")
    shutil.copy(NETD, "models/vgg16.safetensors")
    shutil.copy(NETE, "models/vgg19.safetensors")
    return work


def finish(work):
    os.chdir("/")
    shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed[0], len(failures)))
    sys.exit(1 if failures else 0)


# ---------------------------------------------------------------- source tree

def rows_equal_extract(vggfeat):
    extract("stack.vggf", "--net", NETD + "," + NETE, "--scales", "64,96", "imgs")
    want = export_npy("stack.vggf")
    _, rec = read_store("stack.vggf")
    paths = [n.decode() for n in rec["name"]]
    with vggfeat.Extractor(nets=[NETD, NETE], scales=(64, 96), threads=1) as ex:
        check(ex.dim == 128, "dim %d" % ex.dim)
        got = ex.describe(paths)
        check(got.dtype == np.float32 and got.shape == (6, 128), "shape %r" % (got.shape,))
        check(same_bytes(got, want), "Extractor rows differ from vggfeat extract's")
        # the store's description less its record of the input list (the
        # Extractor describes images, not a list)
        stored = dict(vggfeat.Store("stack.vggf").description)
        check("list" in stored, "the store records its list")
        stored.pop("list")
        check(ex.description == stored, "descriptions %r" % ex.description)
        one = ex.describe(paths[2])
        check(same_bytes(one, want[2:3]), "one path: row 2")

    extract("other.vggf", "--net", NETE + "," + NETD, "--scales", "96,64", "--aggregate",
            "average", "--layer", "fc6", "--no-flip", "--l2", "per-net", "imgs/a.png",
            "imgs/sub/f.jpg")
    with vggfeat.Extractor(nets=NETE + "," + NETD, scales=[96, 64], aggregate="average",
                           layer="fc6", flip=False, l2="per-net", threads=1) as ex:
        check(same_bytes(ex.describe(["imgs/a.png", "imgs/sub/f.jpg"]),
                         export_npy("other.vggf")), "other settings: rows differ")
    # letters in the models folder, no L2
    extract("letters.vggf", "--models", "models", "--net", "D,E", "--scales", "64", "--no-l2",
            "imgs/b.png")
    with vggfeat.Extractor(nets="D,E", scales=64, models="models", l2=False, threads=1) as ex:
        check(same_bytes(ex.describe("imgs/b.png"), export_npy("letters.vggf")),
              "letters: rows differ")


def boxes_equal_extract(vggfeat):
    with open("boxes.txt", "w") as f:
        f.write("imgs/d.jpg\tdog\tbox=0,0,120,90\nimgs/d.jpg\tcat\tbox=60,30,120,90\n")
    extract("boxes.vggf", "--net", NETE, "--scales", "32", "--list", "boxes.txt")
    extract("boxes_img.vggf", "--net", NETE, "--scales", "32", "--with-image", "--list",
            "boxes.txt")
    boxes = [(0, 0, 120, 90), (60, 30, 120, 90)]
    with vggfeat.Extractor(nets=NETE, scales=32, threads=1) as ex:
        want = export_npy("boxes.vggf")
        check(same_bytes(ex.describe_box("imgs/d.jpg", boxes), want), "boxes: rows differ")
        check(same_bytes(ex.describe_box("imgs/d.jpg", boxes[1]), want[1:]), "one box")
        # the decoded JPEG's pixels as an array: the same boxes
        px = np.asarray(Image.open("imgs/d.jpg").convert("RGB"))
        check(ex.describe_box(px, boxes).shape == (2, 32), "boxes of an array")
        a = np.asarray(Image.open("imgs/a.png"))
        check(same_bytes(ex.describe_box(a, (5, 5, 60, 70)),
                         ex.describe_box("imgs/a.png", (5, 5, 60, 70))),
              "a box of an array is the box of its file")
        expect_error(lambda: ex.describe_box("imgs/a.png", (0, 0, 98, 10)), "'imgs/a.png'",
                     "reaches past the 97x71 image", status="invalid argument")
    with vggfeat.Extractor(nets=NETE, scales=32, with_image=True, threads=1) as ex:
        check(ex.dim == 64, "with_image dim %d" % ex.dim)
        check(same_bytes(ex.describe_box("imgs/d.jpg", boxes), export_npy("boxes_img.vggf")),
              "with_image: rows differ")


def store_is_a_view(vggfeat):
    with open("labels.txt", "w") as f:
        f.write("imgs/c.png\tcat\nimgs/sub/e.png\t\nimgs/b.png\tdog\n")
    extract("read.vggf", "--net", NETE, "--scales", "32", "--list", "labels.txt")
    want = export_npy("read.vggf")
    info, rec = read_store("read.vggf")
    s = vggfeat.Store("read.vggf")
    rows = s.rows
    check(len(s) == 3 and rows.shape == (3, 32) and rows.dtype == np.float32,
          "rows %r %r" % (rows.shape, rows.dtype))
    check(np.array_equal(rows, want) and same_bytes(rows, want),
          "Store.rows differ from vggfeat export --format npy")
    check(s.names == ["imgs/c.png", "imgs/sub/e.png", "imgs/b.png"], "names %r" % s.names)
    check(s.labels == ["cat", "", "dog"], "labels %r" % s.labels)
    check(list(s.indices) == [0, 1, 2], "indices %r" % s.indices)
    check(s.description == info["desc"], "description %r" % s.description)
    # a view of the mapped file: not owned, read-only, the record's stride
    check(not rows.flags.owndata and not rows.flags.writeable, "rows own their data")
    check(rows.strides == (rec.dtype.itemsize, 4), "strides %r" % (rows.strides,))
    try:
        rows[0, 0] = 1.0
        check(False, "rows are writable")
    except ValueError:
        pass
    # a byte written into the file shows in the array: no copy was made
    layout = info["layout"]
    off = layout["data_offset"] + rec.dtype.itemsize + rec.dtype.fields["x"][1]
    with open("read.vggf", "r+b") as f:
        f.seek(off)
        old = f.read(4)
        f.seek(off)
        f.write(np.float32(1234.5).tobytes())
        f.flush()
    check(rows[1, 0] == np.float32(1234.5), "Store.rows is not the mapped file")
    with open("read.vggf", "r+b") as f:
        f.seek(off)
        f.write(old)
    check(same_bytes(rows, want), "the file restored")
    # the mapping outlives the Store while an array uses it
    s.close()
    del s
    gc.collect()
    check(same_bytes(rows, want), "rows after the Store was closed")


def pixels_equal_files(vggfeat):
    with vggfeat.Extractor(nets=[NETD, NETE], scales=(64, 72), threads=1) as ex:
        want = ex.describe("imgs/a.png")
        im = Image.open("imgs/a.png")
        a = np.asarray(im)
        check(im.mode == "RGB" and a.shape == (71, 97, 3), "fixture a.png %r" % (a.shape,))
        check(same_bytes(ex.describe(im), want), "a PIL image's row differs from its file's")
        check(same_bytes(ex.describe(a), want), "an array's row differs from its file's")
        check(same_bytes(ex.describe(np.ascontiguousarray(a[:, :, ::-1]), channels="BGR"), want),
              "a BGR array's row")
        check(not same_bytes(ex.describe(np.ascontiguousarray(a[:, :, ::-1])), want),
              "the BGR array read as RGB is another image")
        padded = np.zeros((71, 97 + 5, 3), np.uint8)
        padded[:, :97] = a
        check(same_bytes(ex.describe(padded[:, :97]), want), "rows with padding")
        check(same_bytes(ex.describe(a[::-1][::-1]), want), "a strided view")
        check(same_bytes(ex.describe(np.asfortranarray(a)), want), "a Fortran-order array")
        both = ex.describe([im, "imgs/sub/e.png"])
        gray = Image.open("imgs/sub/e.png")
        check(gray.mode == "L", "fixture e.png mode %s" % gray.mode)
        check(same_bytes(both[1:], ex.describe(gray)) and
              same_bytes(both[1:], ex.describe(np.asarray(gray))) and
              same_bytes(both[1:], ex.describe(np.asarray(gray)[:, :, None])),
              "gray: PIL, HxW and HxWx1 arrays give the file's row")
        check(same_bytes(ex.describe(np.stack([a, a])), np.vstack([want, want])),
              "a batch array")
        check(ex.describe([]).shape == (0, ex.dim), "no images")
        try:
            ex.describe(a.astype(np.uint16))
            check(False, "a uint16 array accepted")
        except TypeError:
            pass


def errors_name_the_file(vggfeat):
    with vggfeat.Extractor(nets=NETE, scales=32, threads=1) as ex:
        expect_error(lambda: ex.describe(["imgs/a.png", "nowhere/x.png"]), "'nowhere/x.png'",
                     status="not found")
        with open("zeros.png", "wb") as f:
            f.write(bytes(300))
        expect_error(lambda: ex.describe("zeros.png"), "'zeros.png'", status="format error")
    ex.close()
    try:
        ex.describe("imgs/a.png")
        check(False, "a closed Extractor described")
    except ValueError:
        pass
    expect_error(lambda: vggfeat.Store("nowhere.vggf"), "'nowhere.vggf'", status="not found")
    expect_error(lambda: vggfeat.Store("imgs/a.png"), "'imgs/a.png'", status="format error")
    expect_error(lambda: vggfeat.Extractor(nets="nets/missing.safetensors"),
                 "nets/missing.safetensors", status="not found")
    expect_error(lambda: vggfeat.Extractor(models="nowhere"), "nowhere/vgg16.safetensors")
    expect_error(lambda: vggfeat.Extractor(nets=NETD, layer="fc8"), "fc8",
                 status="invalid argument")
    expect_error(lambda: vggfeat.Extractor(nets=NETD, scales=(64, 0)), "scales")


def readme_example(vggfeat):
    """The README's snippet is examples/linear_svm.py's, which runs and
    agrees with LinearSVC on vggfeat extract's rows."""
    try:
        from sklearn.svm import LinearSVC
    except ImportError:
        print("scikit-learn missing: the README example is not run")
        return
    readme = open(os.path.join(SOURCE, "README.md")).read()
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    snippet = [b for b in blocks if "LinearSVC" in b]
    example = open(os.path.join(SOURCE, "examples", "linear_svm.py")).read()
    body = example.split("# README begin\n", 1)[-1].split("# README end\n", 1)[0]
    check(len(snippet) == 1 and snippet[0].strip() == body.strip(),
          "README's LinearSVC example is not examples/linear_svm.py's")
    train = [("imgs/a.png", "x"), ("imgs/b.png", "y"), ("imgs/c.png", "x"), ("imgs/d.jpg", "y")]
    test = [("imgs/sub/e.png", "x"), ("imgs/sub/f.jpg", "y")]
    for name, items in (("train.txt", train), ("test.txt", test)):
        with open(name, "w") as f:
            f.writelines("%s\t%s\n" % it for it in items)
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "python"))
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "linear_svm.py")],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 0 and r.stdout.startswith("accuracy: "),
          "examples/linear_svm.py: %s%s" % (r.stdout, r.stderr))
    # the same with the program's rows
    for name in ("train", "test"):
        extract(name + ".vggf", "--threads", "0", "--models", "models", "--net", "D,E",
                "--scales", "256,384", "--list", name + ".txt")
    tr, te = vggfeat.Store("train.vggf"), vggfeat.Store("test.vggf")
    clf = LinearSVC(C=1.0).fit(tr.rows, tr.labels)
    check(r.stdout.strip() == "accuracy: %.3f" % clf.score(te.rows, te.labels),
          "the example's %r differs from LinearSVC on vggfeat extract's rows" % r.stdout)


def finds_build_lib():
    """Without VGGFEAT_LIB, the source tree's package finds build/lib."""
    if os.path.realpath(build) != os.path.realpath(os.path.join(SOURCE, "build")):
        print("the build is not the tree's build/: its discovery is not tested")
        return
    env = {k: v for k, v in os.environ.items() if k not in ("VGGFEAT_LIB", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = os.path.join(SOURCE, "python")
    r = subprocess.run([sys.executable, "-c", "import vggfeat; print(vggfeat._lib.path)"],
                       capture_output=True, text=True, env=env, cwd="/")
    want = os.path.join(SOURCE, "build", "lib", "libvggfeat.so.0")
    check(r.returncode == 0 and r.stdout.strip() == want,
          "found %r, expected %r: %s" % (r.stdout, want, r.stderr))


def source_mode():
    work = setup()
    import vggfeat
    check(vggfeat._lib.path == os.environ.get("VGGFEAT_LIB"),
          "loaded %s, not $VGGFEAT_LIB" % vggfeat._lib.path)
    check(vggfeat.__version__ == vggfeat.version() and vggfeat.version().count(".") == 2,
          "version %r" % vggfeat.version())
    for case in (rows_equal_extract, boxes_equal_extract, store_is_a_view, pixels_equal_files,
                 errors_name_the_file, readme_example):
        print("--", case.__name__)
        case(vggfeat)
    print("-- finds_build_lib")
    finds_build_lib()
    finish(work)


# ---------------------------------------------------------------- installed

INSTALLED_CHECK = r"""
import sys, numpy as np, vggfeat
print(vggfeat._lib.path)
with vggfeat.Extractor(nets="D", models="models", scales=64, threads=1) as ex:
    got = ex.describe(["imgs/a.png", "imgs/d.jpg"])
want = np.load("ref.vggf.npy")
s = vggfeat.Store("ref.vggf")
sys.exit(0 if got.tobytes() == want.tobytes() and np.array_equal(s.rows, want) else 3)
"""


def installed_mode(pydir):
    work = setup()
    prefix = os.path.join(work, "prefix")
    for comp in ("libvggfeat", "python"):
        r = run("cmake", "--install", build, "--prefix", prefix, "--component", comp)
        check(r.returncode == 0, "cmake --install --component %s" % comp)
    pkg = os.path.join(prefix, pydir, "vggfeat")
    check(os.path.isfile(os.path.join(pkg, "__init__.py")) and
          os.path.isfile(os.path.join(pkg, "_lib.py")), "the package is not in %s" % pkg)
    check(not os.path.exists(os.path.join(pkg, "__pycache__")), "__pycache__ installed")
    extract("ref.vggf", "--models", "models", "--net", "D", "--scales", "64", "imgs/a.png",
            "imgs/d.jpg")
    export_npy("ref.vggf")
    env = {k: v for k, v in os.environ.items()
           if k not in ("VGGFEAT_LIB", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = os.path.join(prefix, pydir)
    r = subprocess.run([sys.executable, "-c", INSTALLED_CHECK], capture_output=True,
                       text=True, env=env)
    lines = r.stdout.split("\n")
    check(r.returncode == 0, "the installed package: status %d %s%s" % (r.returncode, r.stdout,
                                                                         r.stderr))
    check(lines[0].startswith(prefix + os.sep) and lines[0].endswith("libvggfeat.so.0"),
          "the installed package loaded %r, not the library under %s" % (lines[0], prefix))
    finish(work)


if mode == "source":
    source_mode()
elif mode == "installed":
    installed_mode(sys.argv[3])
else:
    sys.exit("usage: test_python_lib.py source BUILD | installed BUILD PYDIR")
