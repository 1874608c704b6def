/* The one thing rtj-run needs from inside a loaded model that the public API does not offer: setting the
 * exit temperatures (for `calibrate` before rtj_model_save). Kept in one file so that a change of
 * model/model.h touches the CLI in one place; it would be a public call if a library user asked for it (as
 * the model's tokenizer became rtj_model_tokenizer for the Python package). */
#include "../model/model.h"

#include "cli.h"

/* Only while no context classifies with the model: a loaded model is otherwise immutable. */
void cli_model_set_temperatures(rtj_model *m, const float *temps)
{
    for (int k = 0; k < m->cfg.num_exits; k++) {
        m->cfg.exit_temps[k] = temps[k];
        m->exits[k].temperature = temps[k];
    }
}
