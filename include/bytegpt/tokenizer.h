/* tokenizer: bytes are tokens. The vocabulary is the 256 byte values, so
 * there is nothing to train and every text in every language is encoded;
 * the cost is longer sequences than a learned (BPE) vocabulary gives.
 * Encoding and decoding are the identity, so there is no function for
 * them: a text's bytes, read as uint8_t, are its tokens, from the corpus
 * to the model and from the sampler back to the terminal.
 * The byte 0x00 (NUL) never occurs in text and marks a document boundary,
 * as GPT-2's <|endoftext|> does. */
#ifndef BYTEGPT_TOKENIZER_H
#define BYTEGPT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define BG_VOCAB 256
#define BG_DOC_BOUNDARY 0

/* Longest printable rendering of one token, with its terminating NUL:
 * "<doc>" and "<E2>" need 6 and 5 bytes. */
#define BG_TOKEN_RENDER_MAX 8

/* A printable rendering of one token for the teaching views: printable
 * ASCII as itself, '\n' '\t' '\r' as the C escapes, the space as itself,
 * the boundary as "<doc>", and every other byte as its hex value "<E2>"
 * (so a UTF-8 character shows as the bytes it is made of). Returns buf. */
const char *tokenizer_render(char buf[BG_TOKEN_RENDER_MAX], uint8_t token);

#endif
