/*
 * A re-implementation of QEMU's *scalar* XBZRLE algorithm (migration/xbzrle.c,
 * xbzrle_encode_buffer / xbzrle_decode_buffer, and util/cutils.c uleb128_*_small), written for
 * migbench from the format specification in DESIGN.md section 2. It is not QEMU's code; it
 * follows the same structure so that it costs the same: a byte loop until the position is
 * aligned to sizeof(long), then long-word compares to skip zero runs, and for nonzero runs the
 * "has a zero byte" test on old ^ new (the classic (x - 0x01..) & ~x & 0x80.. trick) to find the
 * word where the run ends. Built with gcc -O2, no -march flags, like a distribution QEMU.
 *
 * It exists to time QEMU's algorithm side by side with migbench's codec on the same pages
 * (codecs/baseline/run.ts), not to be used by migbench.
 */
#include <stdint.h>
#include <string.h>

#include "xbzrle-scalar.h"

static int uleb_put(uint8_t *out, uint32_t n)
{
    if (n < 0x80) {
        out[0] = (uint8_t)n;
        return 1;
    }
    out[0] = (uint8_t)((n & 0x7f) | 0x80);
    out[1] = (uint8_t)(n >> 7);
    return 2;
}

/* Lengths are one or two bytes; a second byte with its top bit set would need a third. */
static int uleb_get(const uint8_t *in, uint32_t *n)
{
    if (!(in[0] & 0x80)) {
        *n = in[0];
        return 1;
    }
    if (in[1] & 0x80) {
        return -1;
    }
    *n = (uint32_t)(in[0] & 0x7f) | ((uint32_t)in[1] << 7);
    return 2;
}

int scalar_xbzrle_encode(const uint8_t *old_page, const uint8_t *new_page, int len,
                         uint8_t *out, int limit)
{
    const unsigned long ones = (unsigned long)0x0101010101010101ULL;
    const unsigned long highs = ones << 7;
    int pos = 0, written = 0;

    while (pos < len) {
        uint32_t zero_len = 0, diff_len = 0;
        int head, diff_start;

        /* room for a length is reserved before every zero-run scan, even the last one */
        if (written + 2 > limit) {
            return -1;
        }
        head = (len - pos) % (int)sizeof(long);
        while (head && old_page[pos] == new_page[pos]) {
            zero_len++;
            pos++;
            head--;
        }
        if (!head) {
            while (pos < len &&
                   *(const unsigned long *)(old_page + pos) ==
                       *(const unsigned long *)(new_page + pos)) {
                pos += sizeof(long);
                zero_len += sizeof(long);
            }
            while (pos < len && old_page[pos] == new_page[pos]) {
                zero_len++;
                pos++;
            }
        }
        if (zero_len == (uint32_t)len) {
            return 0; /* unchanged page */
        }
        if (pos == len) {
            return written; /* a trailing zero run is not sent */
        }
        written += uleb_put(out + written, zero_len);

        if (written + 2 > limit) {
            return -1;
        }
        diff_start = pos;
        head = (len - pos) % (int)sizeof(long);
        while (head && old_page[pos] != new_page[pos]) {
            diff_len++;
            pos++;
            head--;
        }
        if (!head) {
            while (pos < len) {
                unsigned long x = *(const unsigned long *)(old_page + pos) ^
                                  *(const unsigned long *)(new_page + pos);
                if ((x - ones) & ~x & highs) {
                    /* some byte of this word is equal: the run ends inside it */
                    while (old_page[pos] != new_page[pos]) {
                        diff_len++;
                        pos++;
                    }
                    break;
                }
                pos += sizeof(long);
                diff_len += sizeof(long);
            }
        }
        written += uleb_put(out + written, diff_len);
        if (written + (int)diff_len > limit) {
            return -1;
        }
        memcpy(out + written, new_page + diff_start, diff_len);
        written += diff_len;
    }
    return written;
}

int scalar_xbzrle_decode(const uint8_t *in, int in_len, uint8_t *page, int page_len)
{
    int pos = 0, at = 0;

    while (pos < in_len) {
        uint32_t count;
        int used;

        if (in_len - pos < 2) {
            return -1;
        }
        used = uleb_get(in + pos, &count);
        if (used < 0 || (pos && !count)) {
            return -1;
        }
        pos += used;
        at += count;
        if (at > page_len) {
            return -1;
        }

        if (in_len - pos < 2) {
            return -1;
        }
        used = uleb_get(in + pos, &count);
        if (used < 0 || !count) {
            return -1;
        }
        pos += used;
        if (at + (int)count > page_len || pos + (int)count > in_len) {
            return -1;
        }
        memcpy(page + at, in + pos, count);
        at += count;
        pos += count;
    }
    return at;
}
