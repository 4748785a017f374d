/* bytegpt: one include for the whole library. */
#ifndef BYTEGPT_H
#define BYTEGPT_H

#include "bytegpt/error.h"
#include "bytegpt/arena.h"
#include "bytegpt/rng.h"
#include "bytegpt/tokenizer.h"
#include "bytegpt/corpus.h"
#include "bytegpt/ops_matmul.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_layernorm.h"
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/ops_loss.h"

#endif
