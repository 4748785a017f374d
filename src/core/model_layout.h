/* model_layout: what model.c needs from model_layout.c beyond model.h.
 * Private to the model's two files. */
#ifndef BYTEGPT_MODEL_LAYOUT_H
#define BYTEGPT_MODEL_LAYOUT_H

#include "bytegpt/model.h"

/* The fields of p, in the order of the tensor layout (model_tensors), so
 * that code can walk them alongside the layout. */
void model_param_fields(struct bg_params *p, float **fields[BG_N_TENSORS]);

#endif
