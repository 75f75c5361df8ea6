"""Finding libvggfeat and declaring its functions (ctypes).

The library is looked for, in this order:

1. ``$VGGFEAT_LIB``: the library file, or a folder holding it;
2. beside this package (a copy installed with it);
3. the lib folders of the prefix this package is installed under
   (``PREFIX/lib/python3/dist-packages/vggfeat`` -> ``PREFIX/lib``,
   ``PREFIX/lib/<multiarch>``, ``PREFIX/lib64``);
4. in a source tree, its ``build/lib`` (other build folders, such as a
   sanitizer build, only through ``$VGGFEAT_LIB``);
5. the system's loader (``ctypes.util.find_library``, then the soname
   itself, so ``LD_LIBRARY_PATH`` and the system folders apply).
"""
import ctypes
import ctypes.util
import os
import sysconfig
from ctypes import POINTER, c_char_p, c_float, c_int, c_size_t, c_uint8, c_uint64, c_void_p

SONAME = "libvggfeat.so.0"


def _candidates():
    env = os.environ.get("VGGFEAT_LIB")
    if env:
        yield os.path.join(env, SONAME) if os.path.isdir(env) else env
        return  # asked for one library: no other
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, SONAME)
    parent = os.path.dirname(here)
    if os.path.basename(parent) in ("dist-packages", "site-packages"):
        # PREFIX/lib/pythonX/dist-packages/vggfeat
        prefix = os.path.dirname(os.path.dirname(os.path.dirname(parent)))
        multiarch = sysconfig.get_config_var("MULTIARCH")
        for libdir in (["lib/" + multiarch] if multiarch else []) + ["lib", "lib64"]:
            yield os.path.join(prefix, libdir, SONAME)
    root = os.path.dirname(parent)
    if os.path.basename(parent) == "python" and os.path.isfile(
            os.path.join(root, "include", "vgg", "vggfeat.h")):
        yield os.path.join(root, "build", "lib", SONAME)
    found = ctypes.util.find_library("vggfeat")
    if found:
        yield found
    yield SONAME


def _load():
    tried = []
    for cand in _candidates():
        if os.path.isabs(cand) and not os.path.exists(cand):
            tried.append("%s (no such file)" % cand)
            continue
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            tried.append("%s (%s)" % (cand, e))
    raise ImportError("vggfeat: libvggfeat not found; build it (cmake --build build) or set "
                      "VGGFEAT_LIB to its path.  Tried: " + "; ".join(tried))


lib, path = _load()


def _proto(name, restype, argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = argtypes


_proto("vgg_last_error", c_char_p, [])
_proto("vgg_clear_error", None, [])
_proto("vgg_status_name", c_char_p, [c_int])
_proto("vgg_version", c_char_p, [])

_proto("vgg_describer_opts_new", c_int, [POINTER(c_void_p)])
_proto("vgg_describer_opts_free", None, [c_void_p])
_proto("vgg_describer_opts_set", c_int, [c_void_p, c_char_p, c_char_p])
_proto("vgg_describer_open", c_int, [c_void_p, POINTER(c_void_p)])
_proto("vgg_describer_close", None, [c_void_p])
_proto("vgg_describer_dim", c_int, [c_void_p])
_proto("vgg_describer_description", c_char_p, [c_void_p])
_proto("vgg_describer_file", c_int, [c_void_p, c_char_p, POINTER(c_int), POINTER(c_float)])
_proto("vgg_describer_pixels", c_int, [c_void_p, POINTER(c_uint8), c_int, c_int, c_size_t, c_int,
                                       POINTER(c_int), POINTER(c_float)])

_proto("vgg_store_open", c_int, [c_char_p, POINTER(c_void_p)])
_proto("vgg_store_close", None, [c_void_p])
_proto("vgg_store_rows", c_size_t, [c_void_p])
_proto("vgg_store_dim", c_int, [c_void_p])
_proto("vgg_store_row", c_void_p, [c_void_p, c_size_t])
_proto("vgg_store_row_stride", c_size_t, [c_void_p])
_proto("vgg_store_name", c_char_p, [c_void_p, c_size_t])
_proto("vgg_store_label", c_char_p, [c_void_p, c_size_t])
_proto("vgg_store_index", c_uint64, [c_void_p, c_size_t])
_proto("vgg_store_description", c_char_p, [c_void_p])

PIXEL_RGB, PIXEL_BGR, PIXEL_GRAY = 0, 1, 2
