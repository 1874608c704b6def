/* Public calls that reach inside a loaded model beyond what model/ offers itself. Kept outside model/
 * (which belongs to the engine) so that the public API can grow without touching it; each is a line.
 * rtj_model_tokenizer: bindings (python/) tokenize exactly as classification does. */
#include "../model/model.h"

const rtj_tokenizer *rtj_model_tokenizer(const rtj_model *model)
{
    return model ? model->tok : NULL;
}
