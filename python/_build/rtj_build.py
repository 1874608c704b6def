"""A PEP 517 build backend for rtj's Python package, written with the standard library only.

Why not setuptools: pip builds in an isolated environment and would fetch setuptools from an index, which
an offline `pip install ./python` cannot. This backend needs nothing: it runs `make build/librtj.so` in the
repository (python/..), then zips rtj/*.py, librtj.so and the bundled default model into a wheel tagged
for this platform (the wheel holds a native library, so it is not pure).

Environment:
  RTJ_LIBRARY=PATH        bundle this librtj.so instead of building one
  RTJ_BUNDLE_LIBRARY=0    bundle no library: the package loads the installed one (`make install`)
  MAKE                    the make to run (default "make")
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
ROOT = os.path.dirname(HERE)  # the repository
NAME = "rtj"


def _version():
    with open(os.path.join(HERE, "rtj", "__init__.py"), encoding="utf-8") as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def _find_library():
    """The librtj.so to bundle, or None (RTJ_BUNDLE_LIBRARY=0)."""
    if os.environ.get("RTJ_BUNDLE_LIBRARY") == "0":
        return None
    given = os.environ.get("RTJ_LIBRARY")
    if given:
        if not os.path.isfile(given):
            raise RuntimeError("RTJ_LIBRARY=%s: no such file" % given)
        return os.path.realpath(given)
    if not os.path.isfile(os.path.join(ROOT, "Makefile")):
        raise RuntimeError("rtj: no repository at %s to build librtj.so in; set RTJ_LIBRARY=/path/librtj.so.0 "
                           "or RTJ_BUNDLE_LIBRARY=0 to use the installed library" % ROOT)
    make = os.environ.get("MAKE", "make")
    # Output to stderr: pip shows it with -v, and stdout may be the frontend's channel.
    subprocess.run([make, "-C", ROOT, "build/librtj.so"], check=True, stdout=sys.stderr)
    return os.path.realpath(os.path.join(ROOT, "build", "librtj.so"))


def _files():
    """(path in the wheel, path on disk) for everything the wheel holds but its metadata."""
    out = []
    pkg = os.path.join(HERE, NAME)
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py"):
            out.append((NAME + "/" + name, os.path.join(pkg, name)))
    lib = _find_library()
    if lib:
        out.append((NAME + "/librtj.so", lib))
    model = os.path.join(ROOT, "models", "default.rtj")
    if lib and os.path.isfile(model):
        out.append((NAME + "/models/default.rtj", model))
    return out


def _tag():
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "py3-none-" + plat


def _metadata(version):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
            "Summary: BERT text classifiers with early exits on CPUs (ctypes bindings of librtj)\n"
            "Requires-Python: >=3.9\nProvides-Extra: numpy\nRequires-Dist: numpy; extra == \"numpy\"\n"
            "Provides-Extra: cluster\nRequires-Dist: dask[distributed]; extra == \"cluster\"\n" % (NAME, version))


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


# ---- PEP 517 hooks -------------------------------------------------------------------------------------
def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    tag = _tag()
    wheel_name = "%s-%s-%s.whl" % (NAME, version, tag)
    info = "%s-%s.dist-info" % (NAME, version)
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        def add(path, data, mode=0o644):
            zi = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
            record.append(_record_line(path, data))

        for path, src in _files():
            with open(src, "rb") as f:
                add(path, f.read(), 0o755 if path.endswith(".so") else 0o644)
        add(info + "/METADATA", _metadata(version).encode())
        add(info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: rtj_build\nRoot-Is-Purelib: false\nTag: %s\n"
                              % tag).encode())
        record.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\n".join(record) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """python/ alone: building a wheel from it needs RTJ_LIBRARY or RTJ_BUNDLE_LIBRARY=0."""
    version = _version()
    base = "%s-%s" % (NAME, version)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for sub in ("pyproject.toml", "_build", NAME, "tests"):
            t.add(os.path.join(HERE, sub), arcname=base + "/" + sub,
                  filter=lambda ti: None if "__pycache__" in ti.name else ti)
        pkg_info = os.path.join(sdist_directory, "PKG-INFO")
        with open(pkg_info, "w", encoding="utf-8") as f:
            f.write(_metadata(version))
        t.add(pkg_info, arcname=base + "/PKG-INFO")
        os.remove(pkg_info)
    return name
