/* rtj-run's labelled-data readers (cli/data.c: TSV with a header or --columns, CSV, JSON lines) on
 * arbitrary bytes, against a model with labels negative/positive (or AG News' four). The first byte
 * chooses the format, the columns and the labels; the rest is the file. Invariants: a parse either fails
 * (having printed why, freeing everything) or gives instances whose labels are the model's, pairs
 * exactly when the file's first instance has premise and hypothesis, and no more than --limit. */
#include <string.h>

#include "../../cli/cli.h"
#include "fuzz.h"

static const char *const two[] = {"negative", "positive"};
static const char *const four[] = {"World", "Sports", "Business", "Sci/Tech"};
static const char *const specs[] = {"label,text", "text,label", "label,text,text", "-,premise,hypothesis,label",
                                    "label,premise,hypothesis", "skip,text,label,-"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int fmt = data[0] & 3, spec = (data[0] >> 2) % 6, agnews = data[0] >> 5 & 1, limit = data[0] >> 6 & 1;
    static const char *const paths[] = {"fuzz.tsv", "fuzz.tsv", "fuzz.csv", "fuzz.jsonl"};
    cli_columns cols;
    if (fmt == 1 || fmt == 2)
        FUZZ_CHECK(cli_columns_parse(specs[spec], &cols) == 0, "columns %s", specs[spec]);
    const cli_data_opts o = {paths[fmt], fmt == 1 || fmt == 2 ? &cols : NULL, agnews, limit ? 3 : 0};
    rtj_model_info info;
    memset(&info, 0, sizeof info);
    info.num_labels = agnews ? 4 : 2;
    info.labels = agnews ? four : two;
    /* The readers cut fields in place and need one byte past the end: an exact copy plus that byte. */
    char *buf = malloc(size);
    FUZZ_CHECK(buf != NULL, "out of memory");
    memcpy(buf, data + 1, size - 1);
    cli_dataset d;
    if (cli_data_parse(&o, &info, buf, size - 1, &d) == CLI_OK) {
        FUZZ_CHECK(d.n > 0 && (!limit || d.n <= 3), "%zu instances", d.n);
        for (size_t i = 0; i < d.n; i++) {
            const cli_example *e = &d.ex[i];
            FUZZ_CHECK(e->label >= 0 && e->label < info.num_labels, "label %d", e->label);
            FUZZ_CHECK(e->text != NULL && (e->pair != NULL) == (d.is_pair != 0), "instance %zu", i);
        }
        cli_data_free(&d);
    }
    free(buf);
    return 0;
}
