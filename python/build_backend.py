"""A PEP 517 build backend in the source tree, so that `pip install ./python`
needs no download (setuptools, pip's default, would be fetched into pip's
isolated build environment): the package is pure Python, and a wheel of it
is a zip of its files and three metadata files."""
import base64
import hashlib
import os
import tarfile
import zipfile

NAME, VERSION = "nncc", "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Python module of nncc, a static computation-graph compiler for neural networks (ctypes over its C ABI)
Requires-Python: >=3.9
Requires-Dist: numpy
"""
WHEEL = "Wheel-Version: 1.0\nGenerator: nncc build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    for name in sorted(os.listdir(os.path.join(HERE, NAME))):
        if name.endswith(".py") or name == "py.typed":
            yield f"{NAME}/{name}"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        entries = [(path, open(os.path.join(HERE, path), "rb").read()) for path in _package_files()]
        entries += [(f"{DIST_INFO}/METADATA", METADATA.encode()), (f"{DIST_INFO}/WHEEL", WHEEL.encode())]
        for path, data in entries:
            z.writestr(path, data)
            records.append(_record_line(path, data))
        records.append(f"{DIST_INFO}/RECORD,,")
        z.writestr(f"{DIST_INFO}/RECORD", "\n".join(records) + "\n")
    return wheel


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    with tarfile.open(os.path.join(sdist_directory, f"{base}.tar.gz"), "w:gz") as t:
        for path in ["pyproject.toml", "build_backend.py", *_package_files()]:
            t.add(os.path.join(HERE, path), f"{base}/{path}")
    return f"{base}.tar.gz"
