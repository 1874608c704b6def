#!/bin/bash
# The CLI sees the library only through its public headers: every #include in cli/ must name a header of
# include/, one of cli/'s own, or a C standard / POSIX header. Anything else (model/, kernels/, arch/,
# tokenizer/ internals) fails the build, naming the file and line. Run from anywhere: `make` runs it
# before linking rtj-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# C11 (7.1.2) and the POSIX.1-2008 headers the CLI may use.
SYSTEM=" assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h
 setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h
 stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h
 aio.h arpa/inet.h cpio.h dirent.h dlfcn.h fcntl.h fnmatch.h glob.h grp.h iconv.h langinfo.h libgen.h
 monetary.h net/if.h netdb.h netinet/in.h netinet/tcp.h nl_types.h poll.h pthread.h pwd.h regex.h
 sched.h search.h semaphore.h spawn.h strings.h sys/ipc.h sys/mman.h sys/msg.h sys/resource.h
 sys/select.h sys/sem.h sys/shm.h sys/socket.h sys/stat.h sys/statvfs.h sys/time.h sys/times.h
 sys/types.h sys/uio.h sys/un.h sys/utsname.h sys/wait.h tar.h termios.h unistd.h utime.h wordexp.h "

SYSTEM=" $(echo $SYSTEM) " # one line, one space between names

bad=0
for f in cli/*.c cli/*.h; do
    [ -e "$f" ] || continue
    while IFS=: read -r line text; do
        if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^>]+)\> ]]; then
            h=${BASH_REMATCH[1]}
            [[ $SYSTEM == *" $h "* ]] && continue
            why="<$h> is not a C standard or POSIX header"
        elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
            h=${BASH_REMATCH[1]}
            # Quoted names resolve beside the file first, then in include/ (-Iinclude).
            if [ -e "cli/$h" ]; then
                where=$(realpath -m "cli/$h")
            elif [ -e "include/$h" ]; then
                where=$(realpath -m "include/$h")
            else
                where=""
            fi
            case "$where" in
                "$PWD"/include/*|"$PWD"/cli/*) continue ;;
            esac
            why="\"$h\" is not a public header (include/) nor one of cli/'s own"
        else
            why="an #include this check cannot read"
        fi
        echo "$f:$line: $why" >&2
        bad=1
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done
if [ "$bad" -ne 0 ]; then
    echo "check_cli_includes: cli/ must use the library through include/ only" >&2
    exit 1
fi
