/* Built by tests/test_install.sh against an installed rtj (pkg-config rtj), shared and static: loads the
 * model named on the command line, classifies one sentence, prints "LABEL LAYERS". */
#include <rtj.h>
#include <rtj_tokenizer.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL TEXT\n", argv[0]);
        return 2;
    }
    rtj_load_options lo = {RTJ_DTYPE_INT8, 1};
    rtj_model *m;
    rtj_error err;
    if (rtj_model_load(argv[1], &lo, &m, &err) != RTJ_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    rtj_context *ctx;
    if (rtj_context_new(m, &ctx) != RTJ_OK)
        return 1;
    rtj_classify_options o = {0.9f, 0};
    rtj_result r;
    rtj_status s = rtj_classify(ctx, argv[2], NULL, &o, &r);
    if (s != RTJ_OK) {
        fprintf(stderr, "%s\n", rtj_strerror(s));
        return 1;
    }
    printf("%s %d unicode %s\n", r.label, r.layers_run, rtj_tokenizer_unicode_version());
    rtj_context_free(ctx);
    rtj_model_free(m);
    return 0;
}
