#!/usr/bin/env bash
# `make install` into a temporary DESTDIR (PREFIX=/opt/rtj), then tests/install/hello_rtj.c built against
# the installed tree with pkg-config, once against librtj.so and once statically (librtj.a, -static),
# and run on the installed default model. Also: librtj.so exports only the public calls (nm -D), its
# soname, and rtj.pc's version.
#
# usage: tests/test_install.sh            (make test-install runs it; MAKE and CC from the environment)
# Prints one line per check and a last line "N passed, M failed"; exits 1 if any check failed.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
CC=${CC:-cc}
# shellcheck source=tests/checks.sh
. tests/checks.sh

PREFIX=/opt/rtj
ROOT=$T/dest
LIBDIR=$ROOT$PREFIX/lib
try_cmd "make install DESTDIR=... PREFIX=$PREFIX" $MAKE --no-print-directory install DESTDIR="$ROOT" PREFIX=$PREFIX
for f in bin/rtj-run lib/librtj.a lib/librtj.so lib/librtj.so.0 include/rtj.h include/rtj_tokenizer.h \
    include/rtj_api.h include/rtj_json.h lib/pkgconfig/rtj.pc share/rtj/default.rtj; do
    if [ -e "$ROOT$PREFIX/$f" ]; then ok "installed $f"; else bad "installed $f"; fi
done

# pkg-config reads the installed rtj.pc; PKG_CONFIG_SYSROOT_DIR puts DESTDIR in front of its paths.
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
version=$(grep -o '^RTJ_VERSION := .*' Makefile | cut -d' ' -f3)
try_cmd "pkg-config --modversion rtj = $version" test "$(pkg-config --modversion rtj)" = "$version"
try_cmd "pkg-config --cflags --libs rtj" pkg-config --cflags --libs rtj
cflags_libs=$(pkg-config --cflags --libs rtj)
static_libs=$(pkg-config --static --cflags --libs rtj)
case $static_libs in *-lpthread*) ok "pkg-config --static adds -lm -lpthread: $static_libs" ;;
    *) bad "pkg-config --static adds -lm -lpthread" "$static_libs" ;; esac
MODEL=$(pkg-config --variable=model rtj) # the sysroot (DESTDIR) already in front
[ -e "$MODEL" ] && ok "pkg-config --variable=model rtj names the installed model" || bad "model variable" "$MODEL"

SONAME=$(readelf -d "$LIBDIR/librtj.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
try_cmd "soname librtj.so.0" test "$SONAME" = "librtj.so.0"
# Every exported (defined, dynamic) symbol is a public call: rtj_ and declared RTJ_API in include/*.h.
nm -D --defined-only "$LIBDIR/librtj.so" | awk '{print $3}' | sort >"$T/exported"
sed -n 's/^RTJ_API [^(]*[ *]\(rtj_[a-z0-9_]*\)(.*/\1/p' include/rtj.h include/rtj_tokenizer.h include/rtj_json.h | sort >"$T/public"
if diff "$T/public" "$T/exported" >"$T/diff"; then
    ok "nm -D: librtj.so exports the $(wc -l <"$T/public") public calls and nothing else"
else
    bad "nm -D: exports differ from the RTJ_API declarations (< public only, > exported only)" "$(cat "$T/diff")"
fi

TEXT="a charming and often affecting journey"
# shellcheck disable=SC2086  # the flags are words
try_cmd "cc hello_rtj.c \$(pkg-config --cflags --libs rtj)" \
    $CC -std=c11 -Wall -Werror tests/install/hello_rtj.c $cflags_libs -o "$T/hello_shared"
if readelf -d "$T/hello_shared" 2>/dev/null | grep -q 'NEEDED.*librtj.so.0'; then
    ok "the shared build needs librtj.so.0"
else
    bad "the shared build needs librtj.so.0" "$(readelf -d "$T/hello_shared" 2>&1 | grep NEEDED)"
fi
try_cmd "hello_shared runs (LD_LIBRARY_PATH=installed lib)" \
    env LD_LIBRARY_PATH="$LIBDIR" "$T/hello_shared" "$MODEL" "$TEXT"
out_shared=$(cat "$T/out")
# shellcheck disable=SC2086
try_cmd "cc -static hello_rtj.c \$(pkg-config --static --cflags --libs rtj)" \
    $CC -std=c11 -Wall -Werror -static tests/install/hello_rtj.c $static_libs -o "$T/hello_static"
if readelf -d "$T/hello_static" 2>/dev/null | grep -q NEEDED; then
    bad "the static build needs no shared library" "$(readelf -d "$T/hello_static" | grep NEEDED)"
else
    ok "the static build needs no shared library"
fi
try_cmd "hello_static runs" "$T/hello_static" "$MODEL" "$TEXT"
out_static=$(cat "$T/out")
want="positive 1 unicode 15.0.0"
try_cmd "shared answer: $out_shared" test "$out_shared" = "$want"
try_cmd "static answer: $out_static" test "$out_static" = "$want"
try_cmd "installed rtj-run finds the installed model" "$ROOT$PREFIX/bin/rtj-run" "$TEXT"

summary
