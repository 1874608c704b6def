#!/bin/bash
# The Python package's tests, from nothing on Debian 12 (as root): installs what is missing (make, gcc,
# python3-venv; pkg-config for make test-install), builds librtj.so and rtj-run, makes a venv
# (build/venv, kept between runs), pip-installs the pinned test tools from PyPI, `pip install ./python`,
# and runs pytest on python/tests with a summary line. Exits non-zero on any failure, and when pytest ran
# no test (its exit code 5).
#
# usage: tools/test_python.sh [PYTEST ARGS...]      (make test-python runs it)
#   PYTHON=python3.11   the interpreter the venv is made from (default: python3)
#   VENV=build/venv     where the venv is
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-build/venv}
# Pinned: the versions these tests were last run with (Python 3.11, Debian 12).
PYTEST_PIN="pytest==8.3.4"
NUMPY_PIN="numpy==2.2.1"
DASK_PIN="dask[distributed]==2024.12.1"

missing=""
for p in make gcc libc6-dev pkg-config python3 python3-venv; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "test_python: apt-get install$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086  # a list of package names
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

echo "test_python: building librtj.so and rtj-run"
make -j1 --no-print-directory build/librtj.so build/rtj-run >/dev/null

if [ ! -x "$VENV/bin/python" ]; then
    echo "test_python: making a venv in $VENV ($($PYTHON --version))"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install "$PYTEST_PIN" "$NUMPY_PIN"
# The cluster test needs Dask; it skips, saying so, only when Dask cannot be installed.
if ! "${PIP[@]}" install "$DASK_PIN"; then
    echo "test_python: WARNING: could not install $DASK_PIN: the cluster test will be skipped"
fi
# --force-reinstall: the version does not change when librtj.so does, and the wheel bundles it.
"${PIP[@]}" install --no-deps --force-reinstall ./python
"$VENV/bin/python" -c 'import rtj, rtj._lib as l
print("test_python: rtj %s from %s, library %s" % (rtj.__version__, rtj.__file__, l.lib_path))'

# From the repository's root, python/ is not on sys.path: the tests import the installed package.
set +e
RTJ_RUN=$PWD/build/rtj-run RTJ_ROOT=$PWD "$VENV/bin/python" -m pytest python/tests -rs -p no:cacheprovider "$@"
rc=$?
set -e
case $rc in
    0) echo "test_python: passed" ;;
    5) echo "test_python: FAILED: pytest collected no test"; exit 1 ;;
    *) echo "test_python: FAILED (pytest exit code $rc)"; exit 1 ;;
esac
