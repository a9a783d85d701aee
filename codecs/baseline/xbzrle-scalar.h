/* A re-implementation of QEMU's scalar XBZRLE algorithm; see xbzrle-scalar.c. */
#ifndef MIGBENCH_XBZRLE_SCALAR_H
#define MIGBENCH_XBZRLE_SCALAR_H
#include <stdint.h>
int scalar_xbzrle_encode(const uint8_t *old_page, const uint8_t *new_page, int len,
                         uint8_t *out, int limit);
int scalar_xbzrle_decode(const uint8_t *in, int in_len, uint8_t *page, int page_len);
#endif
