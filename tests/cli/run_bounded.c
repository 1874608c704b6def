/* run_bounded: runs a command with its address space limited (RLIMIT_AS), then writes the command's
 * peak resident set (getrusage of the child, ru_maxrss) into REPORT as "peak_rss_kib N". A load that
 * reserved more than the limit, even without touching it, fails its mmap or malloc inside the command.
 * Exit status: the command's, or 128 + the signal that ended it.
 *
 * usage: run_bounded LIMIT_MIB REPORT COMMAND [ARGS...]      (tests/test_bounds.sh) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: run_bounded LIMIT_MIB REPORT COMMAND [ARGS...]\n");
        return 2;
    }
    const long mib = strtol(argv[1], NULL, 10);
    if (mib <= 0) {
        fprintf(stderr, "run_bounded: LIMIT_MIB must be a positive number, got '%s'\n", argv[1]);
        return 2;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        perror("run_bounded: fork");
        return 2;
    }
    if (pid == 0) {
        const struct rlimit lim = {(rlim_t)mib << 20, (rlim_t)mib << 20};
        if (setrlimit(RLIMIT_AS, &lim) != 0) {
            perror("run_bounded: setrlimit");
            _exit(125);
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "run_bounded: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("run_bounded: wait4");
        return 2;
    }
    FILE *f = fopen(argv[2], "w");
    if (!f || fprintf(f, "peak_rss_kib %ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
        fprintf(stderr, "run_bounded: cannot write %s\n", argv[2]);
        return 2;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
