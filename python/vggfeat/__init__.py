"""vggfeat: very deep ConvNet (VGG-16/VGG-19) descriptors as numpy arrays.

ctypes over libvggfeat (include/vgg/vggfeat.h); numpy is the only
dependency, Pillow images are accepted where Pillow is installed.

    import vggfeat
    ex = vggfeat.Extractor(nets="D,E", scales=(256, 384), models="models")
    X = ex.describe(["a.jpg", "b.png"])          # (2, ex.dim) float32
    rows = vggfeat.Store("features.vggf").rows   # a view of the file, no copy

A row is byte for byte the one `vggfeat extract` writes with the same
settings.  Failures raise vggfeat.Error with the library's message, which
names the file.  See docs/library.md.
"""
import json
import os
from ctypes import POINTER, byref, c_float, c_int, c_uint8, c_void_p

import numpy as np

from . import _lib

__all__ = ["Extractor", "Store", "Error", "version"]


class Error(Exception):
    """A failure reported by libvggfeat: str(e) is its message, e.status
    the status's name ("not found", "format error", ...)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def _check(status):
    if status != 0:
        msg = _lib.lib.vgg_last_error().decode("utf-8", "replace")
        name = _lib.lib.vgg_status_name(status).decode()
        raise Error(msg or name, name)


def _text(b):
    """A name or label from the library: bytes as Python's os functions
    take them back (undecodable bytes kept as surrogates)."""
    return b.decode("utf-8", "surrogateescape")


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _lib.lib.vgg_version().decode()


__version__ = version()


class _Handle:
    """An owned library handle, closed when the last reference goes (the
    object, and any array viewing memory the handle owns)."""

    def __init__(self, ptr, close):
        self.ptr = ptr
        self._close = close

    def close(self):
        ptr, self.ptr = self.ptr, None
        if ptr:
            self._close(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutting down
            pass


class _View:
    """A numpy array interface over library memory, keeping its owner."""

    def __init__(self, addr, shape, strides, owner):
        self.__array_interface__ = {"version": 3, "typestr": "<f4", "data": (addr, True),
                                    "shape": shape, "strides": strides}
        self.owner = owner


def _is_pil(obj):
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "convert") and \
        hasattr(obj, "mode")


def _pixels(image, channels):
    """(array, format) for an HxWx3 or HxW uint8 image, or a PIL image."""
    if _is_pil(image):
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        return _pixels(np.asarray(image), "RGB")
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise TypeError("vggfeat: an image array must be uint8, not %s" % a.dtype)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        fmt = _lib.PIXEL_GRAY
        if a.strides[1] != 1 or a.strides[0] < a.shape[1]:
            a = np.ascontiguousarray(a)
    elif a.ndim == 3 and a.shape[2] == 3:
        if channels not in ("RGB", "BGR"):
            raise ValueError("vggfeat: channels must be 'RGB' or 'BGR', not %r" % (channels,))
        fmt = _lib.PIXEL_RGB if channels == "RGB" else _lib.PIXEL_BGR
        if a.strides[2] != 1 or a.strides[1] != 3 or a.strides[0] < 3 * a.shape[1]:
            a = np.ascontiguousarray(a)
    else:
        raise ValueError("vggfeat: an image array is HxWx3 (RGB) or HxW (gray), not %s"
                         % (a.shape,))
    return a, fmt


def _is_image(obj):
    """One image rather than a sequence of them."""
    if isinstance(obj, (str, bytes, os.PathLike)) or _is_pil(obj):
        return True
    return isinstance(obj, np.ndarray) and obj.ndim in (2, 3)


def _option(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(str(os.fspath(v)) if isinstance(v, os.PathLike) else str(v)
                        for v in value)
    return str(os.fspath(value)) if isinstance(value, os.PathLike) else str(value)


class Extractor:
    """The nets of `vggfeat extract`, opened once, describing images.

    nets       "D", "D,E", a list, or weight-file paths (stacked in order)
    scales     an int or a sequence of smallest-side sizes Q
    models     the folder of vgg16.safetensors etc. (default
               $VGGFEAT_MODELS, else ./models, else the installed
               share/vggfeat/models)
    device     "cpu", "cpu-ref" or "cuda:N"
    aggregate  "stack" or "average" the scales
    layer      "fc7", "fc6" or "pool5"
    flip       average with the mirrored image
    l2         "final" (or True), "per-net", "none" (or False)
    with_image a box's row followed by its whole image's
    alpha      transparency of image files: "drop" (Pillow's convert("RGB"),
               the default) or "white" (composed on white)
    max_input_pixels, precision, workspace, threads   as vggfeat extract's
               options

    Calls may come from several threads: images decode in parallel, the
    nets run one image at a time.  Use as a context manager, or close().
    """

    def __init__(self, nets="D", scales=256, models=None, device="cpu", aggregate="stack",
                 layer="fc7", flip=True, l2="final", with_image=False, alpha=None,
                 max_input_pixels=None, precision=None, workspace=None, threads=0):
        if l2 is True:
            l2 = "final"
        elif l2 is False:
            l2 = "none"
        settings = [("nets", nets), ("scales", scales), ("models", models), ("device", device),
                    ("aggregate", aggregate), ("layer", layer), ("flip", flip), ("l2", l2),
                    ("with-image", with_image), ("alpha", alpha),
                    ("max-input-pixels", max_input_pixels), ("precision", precision),
                    ("workspace", workspace), ("threads", threads)]
        lib = _lib.lib
        opts = c_void_p()
        _check(lib.vgg_describer_opts_new(byref(opts)))
        try:
            for name, value in settings:
                if value is not None:
                    _check(lib.vgg_describer_opts_set(opts, name.encode(),
                                                      os.fsencode(_option(value))))
            h = c_void_p()
            _check(lib.vgg_describer_open(opts, byref(h)))
        finally:
            lib.vgg_describer_opts_free(opts)
        self._handle = _Handle(h.value, lib.vgg_describer_close)
        self.dim = lib.vgg_describer_dim(h)
        self.description = json.loads(lib.vgg_describer_description(h).decode())

    def _ptr(self):
        if not self._handle.ptr:
            raise ValueError("vggfeat: the Extractor is closed")
        return self._handle.ptr

    def _one(self, image, box, channels, out):
        lib = _lib.lib
        cbox = (c_int * 4)(*box) if box is not None else None
        dst = out.ctypes.data_as(POINTER(c_float))
        if isinstance(image, (str, bytes, os.PathLike)):
            _check(lib.vgg_describer_file(self._ptr(), os.fsencode(image), cbox, dst))
            return
        a, fmt = _pixels(image, channels)
        _check(lib.vgg_describer_pixels(self._ptr(), a.ctypes.data_as(POINTER(c_uint8)),
                                        a.shape[1], a.shape[0], a.strides[0], fmt, cbox, dst))

    def describe(self, images, channels="RGB"):
        """Rows for images: a list of paths, HxWx3 uint8 arrays (RGB, or
        BGR with channels="BGR"), HxW gray arrays or PIL images, or one of
        them.  Returns a (len(images), dim) float32 array."""
        if _is_image(images):
            images = [images]
        elif isinstance(images, np.ndarray) and images.ndim == 4:
            images = list(images)
        images = list(images)
        out = np.empty((len(images), self.dim), dtype=np.float32)
        for k, image in enumerate(images):
            self._one(image, None, channels, out[k])
        return out

    def describe_box(self, image, boxes, channels="RGB"):
        """Rows for boxes of one image (a path, an array or a PIL image):
        boxes is one (x1, y1, x2, y2) or a list of them, in pixels of the
        image as shown, x2 and y2 exclusive (Pillow's crop box).  Returns a
        (len(boxes), dim) float32 array."""
        boxes = np.asarray(boxes, dtype=np.int64)
        if boxes.ndim == 1:
            boxes = boxes[None, :]
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError("vggfeat: a box is (x1, y1, x2, y2)")
        if boxes.size and (boxes.min() < -2**31 or boxes.max() >= 2**31):
            raise ValueError("vggfeat: box coordinates out of range")
        out = np.empty((len(boxes), self.dim), dtype=np.float32)
        if not isinstance(image, (str, bytes, os.PathLike)):
            # converted once for every box
            image, fmt = _pixels(image, channels)
            channels = "BGR" if fmt == _lib.PIXEL_BGR else "RGB"
        for k, box in enumerate(boxes):
            self._one(image, [int(v) for v in box], channels, out[k])
        return out

    def close(self):
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Store:
    """A feature store written by `vggfeat extract`, read-only.

    rows         (n, dim) float32, a read-only view of the memory-mapped
                 file (no copy): the rows are not contiguous in the file
                 (each sits in a record with its name and label), so the
                 view's first stride is the record size;
                 np.ascontiguousarray(rows) makes a packed copy
    names        the rows' names (image paths, "path#x1,y1,x2,y2" for boxes)
    labels       their labels ("" for none)
    indices      their positions in the extraction's input list (uint64)
    description  what made the rows (dict: nets, scales, layer, ...)
    """

    def __init__(self, path):
        lib = _lib.lib
        h = c_void_p()
        _check(lib.vgg_store_open(os.fsencode(path), byref(h)))
        self._handle = _Handle(h.value, lib.vgg_store_close)
        self.path = path
        self.dim = lib.vgg_store_dim(h)
        self._n = lib.vgg_store_rows(h)
        self.description = json.loads(lib.vgg_store_description(h).decode())
        if self._n == 0:
            rows = np.empty((0, self.dim), dtype=np.float32)
        else:
            view = _View(lib.vgg_store_row(h, 0), (self._n, self.dim),
                         (lib.vgg_store_row_stride(h), 4), self._handle)
            rows = np.asarray(view)
        rows.flags.writeable = False
        self.rows = rows

    def __len__(self):
        return self._n

    def _each(self, fn):
        h = self._handle.ptr
        if not h:
            raise ValueError("vggfeat: the Store is closed")
        return [fn(h, r) for r in range(self._n)]

    @property
    def names(self):
        return self._each(lambda h, r: _text(_lib.lib.vgg_store_name(h, r)))

    @property
    def labels(self):
        return self._each(lambda h, r: _text(_lib.lib.vgg_store_label(h, r)))

    @property
    def indices(self):
        return np.array(self._each(_lib.lib.vgg_store_index), dtype=np.uint64)

    def close(self):
        """Drop this object's hold on the file; it is unmapped once no
        array from .rows is left either."""
        self._handle = _Handle(None, None)
        self.rows = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
