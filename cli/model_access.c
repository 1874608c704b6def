/* The two things rtj-run needs from inside a loaded model that the public API does not offer: the
 * model's own tokenizer (for `tokenize --model`, so that it splits text exactly as classification does)
 * and setting the exit temperatures (for `calibrate` before rtj_model_save). Kept in one file so that a
 * change of model/model.h touches the CLI in one place; both would be public calls if a library user
 * asked for them. */
#include "../model/model.h"

#include "cli.h"

const rtj_tokenizer *cli_model_tokenizer(const rtj_model *m)
{
    return m->tok;
}

/* Only while no context classifies with the model: a loaded model is otherwise immutable. */
void cli_model_set_temperatures(rtj_model *m, const float *temps)
{
    for (int k = 0; k < m->cfg.num_exits; k++) {
        m->cfg.exit_temps[k] = temps[k];
        m->exits[k].temperature = temps[k];
    }
}
