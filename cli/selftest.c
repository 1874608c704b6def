/* rtj-run selftest: rtj_selftest's table, for a user on a CPU nobody here has tried. Exit 0 when every
 * check passes, 1 when one fails (or the model cannot be loaded), 2 on a usage error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct table {
    int json, rows;
} table;

static void print_check(const rtj_selftest_check *c, void *user)
{
    table *t = user;
    if (t->json) {
        printf("{\"isa\": ");
        cli_json_string(stdout, c->isa);
        printf(", \"check\": ");
        cli_json_string(stdout, c->what);
        printf(", \"worst_error\": ");
        cli_json_number(stdout, c->worst);
        printf(", \"bound\": ");
        cli_json_number(stdout, c->bound);
        printf(", \"pass\": %s, \"detail\": ", c->pass ? "true" : "false");
        cli_json_string(stdout, c->detail);
        printf("}\n");
    } else {
        if (t->rows++ == 0)
            printf("%-8s %-48s %12s %12s  %s\n", "isa", "check", "worst error", "bound", "result");
        printf("%-8s %-48s %12.3g %12.3g  %s%s%s\n", c->isa, c->what, c->worst, c->bound, c->pass ? "pass" : "FAIL",
               c->pass ? "" : ": ", c->detail);
    }
    fflush(stdout);
}

int cmd_selftest(int argc, char **argv)
{
    cli_cmd = "selftest";
    cli_model_opts mo = {0};
    int no_model = 0, rc = CLI_OK;
    table t = {0};
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2);
    for (enum cli_token tok; rc == CLI_OK && (tok = cli_next(&p)) != CLI_END;) {
        if (tok == CLI_POSITIONAL)
            return cli_usage_error("unexpected argument '%s'", p.arg);
        if (cli_is(&p, "--help") || cli_is(&p, "-h")) {
            cli_help_command("selftest", stdout);
            return CLI_OK;
        } else if (cli_is(&p, "--model"))
            rc = cli_string(&p, &mo.path) ? CLI_USAGE : CLI_OK;
        else if (cli_is(&p, "--int8"))
            rc = cli_flag(&p) ? CLI_USAGE : (mo.int8 = 1, CLI_OK);
        else if (cli_is(&p, "--no-model"))
            rc = cli_flag(&p) ? CLI_USAGE : (no_model = 1, CLI_OK);
        else if (cli_is(&p, "--json"))
            rc = cli_flag(&p) ? CLI_USAGE : (t.json = 1, CLI_OK);
        else
            rc = cli_unknown(&p);
    }
    if (rc != CLI_OK)
        return rc;
    if (no_model && mo.path)
        return cli_usage_error("--model and --no-model cannot be used together");
    const char *path = NULL;
    rtj_load_options lo = {RTJ_DTYPE_FP32, 1};
    if (!no_model && cli_model_resolve(&mo, &path, &lo) != CLI_OK)
        return CLI_FAIL;
    const double t0 = cli_now_ms();
    int failed = 0;
    rtj_error e;
    rtj_status st = rtj_selftest(path, &lo, print_check, &t, &failed, &e);
    if (st != RTJ_OK) {
        cli_error("%s", e.message);
        return CLI_FAIL;
    }
    if (!t.json)
        printf("selftest: %s, %d check%s failed (%.0f ms)\n", failed ? "FAILED" : "passed", failed,
               failed == 1 ? "" : "s", cli_now_ms() - t0);
    return failed ? CLI_FAIL : CLI_OK;
}
