"""Features in numpy, then scikit-learn's LinearSVC: the README's example.

Run in a folder holding train.txt and test.txt (lines: image path, a TAB,
its label) and models/ with vgg16.safetensors and vgg19.safetensors:

    PYTHONPATH=python python3 examples/linear_svm.py

(tests/test_python_lib.py runs it on tiny nets; the block below is the
README's, line for line.)
"""
# README begin
import vggfeat
from sklearn.svm import LinearSVC


def read_list(path):  # lines: image path <TAB> label
    with open(path) as f:
        return zip(*(line.rstrip("\n").split("\t") for line in f if line.strip()))


train_paths, y_train = read_list("train.txt")
test_paths, y_test = read_list("test.txt")

with vggfeat.Extractor(nets="D,E", scales=(256, 384), models="models") as ex:
    X_train = ex.describe(train_paths)  # (images, 16384) float32, one L2-normalised row each
    X_test = ex.describe(test_paths)

clf = LinearSVC(C=1.0).fit(X_train, y_train)
print("accuracy: %.3f" % clf.score(X_test, y_test))
# README end
