/* rtj-run: the command-line front end. `main` picks the command; each lives in its own file (classify.c:
 * classify and tokenize, eval.c, calibrate.c, info.c: info and convert, selftest.c); `cpu` is here. Shared pieces:
 * cli.h. A first argument that is not a command is the start of a classify command line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int cmd_cpu(int argc, char **argv)
{
    cli_cmd = "cpu";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_help_command("cpu", stdout);
            return CLI_OK;
        }
        return cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    char report[4096];
    rtj_error e;
    rtj_status st = rtj_cpu_report(report, sizeof report, NULL, &e);
    fputs(report, stdout);
    if (st != RTJ_OK) {
        cli_error("%s", e.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && cli_help_command(argv[2], stdout) != 0) {
            fprintf(stderr, "rtj-run help: no command '%s' (try 'rtj-run help')\n", argv[2]);
            return CLI_USAGE;
        }
        if (argc <= 2)
            cli_help_overview(stdout);
        return CLI_OK;
    }
    if (argc < 2 && isatty(STDIN_FILENO)) { /* nothing to classify and nobody piping: say how */
        cli_help_overview(stderr);
        return CLI_USAGE;
    }
    if (strcmp(cmd, "cpu") == 0)
        return cmd_cpu(argc, argv);
    if (strcmp(cmd, "classify") == 0)
        return cmd_classify(argc, argv, 2);
    if (strcmp(cmd, "tokenize") == 0)
        return cmd_tokenize(argc, argv);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc, argv);
    if (strcmp(cmd, "calibrate") == 0)
        return cmd_calibrate(argc, argv);
    if (strcmp(cmd, "convert") == 0)
        return cmd_convert(argc, argv);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc, argv);
    if (strcmp(cmd, "selftest") == 0)
        return cmd_selftest(argc, argv);
    /* `rtj-run TEXT ...` and `rtj-run --model m TEXT ...` classify; with no argument at all, standard
     * input is classified with the default model. */
    return cmd_classify(argc, argv, 1);
}
