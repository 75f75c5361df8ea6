"""How vggfeat reads what a user names (issue 24, messages): a list saved
with a UTF-8 byte order mark, a file whose name starts with '-' (and '--'),
a weights path holding a comma, labels with spaces around them, and one
image named by two spellings in a list (./a, /abs/a, a//b, a link).

Run by CTest: test_extract_inputs.py BINDIR WORKDIR.  Exit 0 pass, 1 fail,
77 skip (no numpy or Pillow; 1 instead where VGG_REQUIRE_REFERENCES is set).
"""
import os
import shutil
import subprocess
import sys

from cli_check import check, finish, run

try:
    import numpy as np
    from PIL import Image
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(1 if os.environ.get("VGG_REQUIRE_REFERENCES") else 77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from extract_ref import read_store  # noqa: E402

bindir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VGGFEAT = os.path.join(bindir, "vggfeat")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
NET = ["--device", "cpu-ref", "--threads", "1", "--net", "nets/netD.safetensors",
       "--scales", "64", "--quiet"]
subprocess.run([sys.executable, os.path.join(HERE, "extract_ref.py"), "nets", "nets"],
               check=True, capture_output=True)
rng = np.random.default_rng(5)
os.makedirs("img/sub")
for name in ("a", "b", "c", "d"):
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), "RGB").save(
        "img/%s.png" % name)
shutil.copy("img/a.png", "-dash.png")


def names_labels(path):
    rows = read_store(path)[1]
    return [n.decode() for n in rows["name"]], [lab.decode() for lab in rows["label"]]


def extract(out, *args):
    if os.path.exists(out):
        os.unlink(out)
    return run([VGGFEAT, "extract"] + NET + ["-o", out] + list(args))


# ------------------------------------------------ a byte order mark
with open("bom.txt", "wb") as f:
    f.write(b"\xef\xbb\xbfimg/a.png\tcat\nimg/b.png\tdog\n")
rc, out = extract("bom.vggf", "--list", "bom.txt")
check(rc == 0 and names_labels("bom.vggf") == (["img/a.png", "img/b.png"], ["cat", "dog"]),
      "a list saved with a byte order mark: the first path is img/a.png", out)

# ------------------------------------------------ a name that starts with '-'
rc, out = extract("d.vggf", "-dash.png")
check(rc == 2 and "unknown option '-d' (in '-dash.png')" in out and "-- -dash.png" in out,
      "-dash.png after -o d.vggf is named, with the way out", out)
rc, out = extract("d.vggf", "--", "-dash.png")
check(rc == 0 and names_labels("d.vggf")[0] == ["-dash.png"], "and after '--' it is an image",
      out)
rc, out = run([VGGFEAT, "export", "d.vggf", "--format", "csv", "-o", "-x.csv"])
check(rc == 0 and os.path.exists("-x.csv"), "an option's value may start with '-'", out)
rc, out = run([VGGFEAT, "info", "-zzz.vggf"])
check(rc == 2 and "vggfeat info: unknown option '-z' (in '-zzz.vggf')" in out,
      "vggfeat info names the option too", out)
rc, out = run([VGGFEAT, "merge", "-o", "m.vggf", "--", "-dash.vggf"])
check(rc == 1 and "'-dash.vggf'" in out and "cannot open" in out,
      "vggfeat merge takes '-dash.vggf' after '--' as a store", out)

# ------------------------------------------------ a comma in a weights path
shutil.copy("nets/netD.safetensors", "nets/vgg,16.safetensors")
rc, out = extract("comma.vggf", "--net", "nets/vgg,16.safetensors", "img/a.png")
d = read_store("comma.vggf")[0]["desc"] if rc == 0 else {}
check(rc == 0 and [n["name"] for n in d["nets"]] == ["nets/vgg,16.safetensors"],
      "--net with a comma in an existing file's path is that file", out)
rc, out = extract("comma2.vggf", "--net", "nets/netE.safetensors,nets/vgg,16.safetensors",
                  "img/a.png")
d = read_store("comma2.vggf")[0]["desc"] if rc == 0 else {}
check(rc == 0 and [n["name"] for n in d["nets"]] ==
      ["nets/netE.safetensors", "nets/vgg,16.safetensors"],
      "and in a list of nets", out)
rc, out = extract("comma3.vggf", "--net", "nets/netE.safetensors,nets/netD.safetensors",
                  "img/a.png")
check(rc == 0 and len(read_store("comma3.vggf")[0]["desc"]["nets"]) == 2,
      "a list of two files is still two nets", out)

# ------------------------------------------------ spaces around labels
with open("spaces.txt", "w") as f:
    f.write("img/a.png\tcat \nimg/b.png\tcat\nimg/c.png\t dog\nimg/d.png\tdog\n")
rc, out = extract("spaces.vggf", "--list", "spaces.txt")
check(rc == 0 and names_labels("spaces.vggf")[1] == ["cat", "cat", "dog", "dog"],
      "'cat ' and ' dog' are the classes cat and dog", out)
rc, out = run([VGGFEAT, "export", "spaces.vggf", "--format", "liblinear", "-o", "spaces.txt.ll"])
with open("spaces.txt.ll.labels") as f:
    numbering = f.read()
check(rc == 0 and numbering == "1\tcat\n2\tdog\n", "exported as two classes", numbering + out)
with open("boxes.txt", "w") as f:
    f.write("img/a.png\tcat \tbox=0,0,10,10\nimg/b.png\tcat\tbox=0,0,10,10\n")
rc, out = extract("boxes.vggf", "--list", "boxes.txt")
check(rc == 0 and names_labels("boxes.vggf")[1] == ["cat", "cat"],
      "the same before a box", out)

# ------------------------------------------------ one image, two spellings
os.symlink("a.png", "img/link.png")
here = os.getcwd()
with open("dup.txt", "w") as f:
    f.write("img/a.png\tx\nimg/b.png\tx\n./img/a.png\tx\n%s/img/b.png\tx\nimg//c.png\tx\n"
            "img/c.png\tx\nimg/link.png\tx\nimg/d.png\tx\n" % here)
rc, out = extract("dup.vggf", "--list", "dup.txt")
check(rc == 0 and "warning: --list 'dup.txt', line 3: './img/a.png' is the same file as "
      "'img/a.png' (line 1), and 3 more lines name a file named before otherwise; each line "
      "becomes a row" in out and len(names_labels("dup.vggf")[0]) == 8,
      "one image by two spellings in a list is warned about, naming both", out)
with open("dupbox.txt", "w") as f:
    f.write("img/a.png\tx\tbox=0,0,5,5\nimg/a.png\tx\tbox=0,0,6,5\n./img/a.png\tx\tbox=0,0,6,5\n")
rc, out = extract("dupbox.vggf", "--list", "dupbox.txt")
check(rc == 0 and "line 3: './img/a.png' is the same file as 'img/a.png' (line 2)" in out,
      "in a list of boxes: the same file and box", out)
with open("nodup.txt", "w") as f:
    f.write("img/a.png\nimg/b.png\nimg/sub/../c.png\n")
rc, out = extract("nodup.vggf", "--list", "nodup.txt")
check(rc == 0 and "warning" not in out, "different files: no warning", out)
finish()
