/* bytegpt: one include for the whole library, in layer order (each
 * module uses only those above it in this list). */
#ifndef BYTEGPT_H
#define BYTEGPT_H

/* The base. */
#include "bytegpt/error.h"
#include "bytegpt/format.h"
#include "bytegpt/strbuf.h"
#include "bytegpt/arena.h"
#include "bytegpt/rng.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/cpu.h"
#include "bytegpt/blas.h"

/* Data, beside the model. */
#include "bytegpt/tokenizer.h"
#include "bytegpt/corpus.h"

/* The kernels. */
#include "bytegpt/ops_matmul.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_layernorm.h"
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/ops_loss.h"

/* The model and its optimizer. */
#include "bytegpt/model.h"
#include "bytegpt/adamw.h"

/* What the CLI assembles into commands. */
#include "bytegpt/schedule.h"
#include "bytegpt/train.h"
#include "bytegpt/profile.h"
#include "bytegpt/roofline.h"
#include "bytegpt/trainlog.h"
#include "bytegpt/checkpoint.h"
#include "bytegpt/modelfile.h"
#include "bytegpt/sampler.h"
#include "bytegpt/evaluate.h"
#include "bytegpt/export.h"
#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/cost.h"
#include "bytegpt/page.h"

#endif
