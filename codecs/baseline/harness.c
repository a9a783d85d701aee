/*
 * Times the scalar XBZRLE re-implementation (xbzrle-scalar.c) one pass at a time, on command, so
 * that run.ts can alternate its passes with migbench's on the same pages under the same load.
 *
 *   harness PAIRS_FILE COUNT PASS_PAGES
 *
 * PAIRS_FILE holds COUNT old pages then COUNT new pages, 4096 bytes each (the pairs
 * codecs/page-kinds.ts gives the codec benchmark). A pass covers PASS_PAGES pages, going round
 * the pairs as often as needed (so a few pairs that fit the CPU caches time the code, not the
 * RAM). Each command on stdin is one line; each answer is one line on stdout:
 *   e  one encode pass (limit 4096, output into one reused buffer): its seconds
 *   d  one decode pass in place onto a copy of the old pages, for the pages that produced a
 *      delta (QEMU's receiver decodes onto the guest page, migration/ram.c load_xbzrle;
 *      decoding again onto the decoded page gives the same page): its seconds, or "-" if none
 *   m  one pass that only reads every word of both pages (SSE2 XOR and OR, no early exit): the
 *      memory ceiling for a page an encoder must read whole (identical, zero)
 *   s  a JSON line of totals, after checking that every decoded copy equals its new page
 *   q  exit
 * Time is wall time (CLOCK_MONOTONIC): run.ts keeps the fastest pass of each side, which drops
 * the passes another process on the machine interrupted.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "xbzrle-scalar.h"

#define PAGE 4096

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void read_all(FILE *in, const char *name, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, in);
        if (r == 0) {
            fprintf(stderr, "harness: %s ended after %zu of %zu bytes\n", name, got, n);
            exit(1);
        }
        got += r;
    }
}

/* Reads both pages whole; the result only keeps the loads from being optimised away. */
static uint64_t read_pages(const uint8_t *a, const uint8_t *b)
{
#if defined(__SSE2__)
    __m128i acc = _mm_setzero_si128();
    for (int i = 0; i < PAGE; i += 64) {
        __m128i x0 = _mm_xor_si128(_mm_load_si128((const __m128i *)(a + i)),
                                   _mm_load_si128((const __m128i *)(b + i)));
        __m128i x1 = _mm_xor_si128(_mm_load_si128((const __m128i *)(a + i + 16)),
                                   _mm_load_si128((const __m128i *)(b + i + 16)));
        __m128i x2 = _mm_xor_si128(_mm_load_si128((const __m128i *)(a + i + 32)),
                                   _mm_load_si128((const __m128i *)(b + i + 32)));
        __m128i x3 = _mm_xor_si128(_mm_load_si128((const __m128i *)(a + i + 48)),
                                   _mm_load_si128((const __m128i *)(b + i + 48)));
        acc = _mm_or_si128(acc, _mm_or_si128(_mm_or_si128(x0, x1), _mm_or_si128(x2, x3)));
    }
    return (uint64_t)_mm_cvtsi128_si64(acc);
#else
    uint64_t acc = 0;
    for (int i = 0; i < PAGE; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        acc |= x ^ y;
    }
    return acc;
#endif
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: harness PAIRS_FILE COUNT PASS_PAGES\n");
        return 2;
    }
    long count = atol(argv[2]);
    long pass_pages = atol(argv[3]);
    if (count < 1 || pass_pages < 1) {
        fprintf(stderr, "harness: COUNT and PASS_PAGES must be >= 1\n");
        return 2;
    }
    size_t bytes = (size_t)count * PAGE;
    uint8_t *old_pages = aligned_alloc(64, bytes);
    uint8_t *new_pages = aligned_alloc(64, bytes);
    uint8_t *targets = aligned_alloc(64, bytes);
    uint8_t *deltas = aligned_alloc(64, bytes);
    int *lengths = malloc(sizeof(int) * (size_t)count);
    uint8_t out[PAGE];
    if (!old_pages || !new_pages || !targets || !deltas || !lengths) {
        fprintf(stderr, "harness: out of memory\n");
        return 1;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        fprintf(stderr, "harness: cannot open %s\n", argv[1]);
        return 1;
    }
    read_all(in, argv[1], old_pages, bytes);
    read_all(in, argv[1], new_pages, bytes);
    fclose(in);
    memcpy(targets, old_pages, bytes);

    long long encoded_bytes = 0;
    long overflows = 0, unchanged = 0, decoded_pages = 0;
    for (long p = 0; p < count; p++) {
        int n = scalar_xbzrle_encode(old_pages + p * PAGE, new_pages + p * PAGE, PAGE,
                                     deltas + p * PAGE, PAGE);
        lengths[p] = n;
        if (n < 0) overflows++;
        else if (n == 0) unchanged++;
        else { encoded_bytes += n; decoded_pages++; }
    }

    long long checksum = 0;
    char command[16];
    while (fgets(command, sizeof command, stdin)) {
        double start = now_seconds();
        long p = 0;
        switch (command[0]) {
        case 'e':
            for (long done = 0; done < pass_pages; done++) {
                checksum += scalar_xbzrle_encode(old_pages + p * PAGE, new_pages + p * PAGE,
                                                 PAGE, out, PAGE);
                if (++p == count) p = 0;
            }
            break;
        case 'd':
            if (decoded_pages == 0) {
                printf("-\n");
                fflush(stdout);
                continue;
            }
            for (long done = 0; done < pass_pages; done++) {
                if (lengths[p] > 0 &&
                    scalar_xbzrle_decode(deltas + p * PAGE, lengths[p], targets + p * PAGE,
                                         PAGE) < 0) {
                    fprintf(stderr, "harness: page %ld did not decode\n", p);
                    return 1;
                }
                if (++p == count) p = 0;
            }
            break;
        case 'm':
            for (long done = 0; done < pass_pages; done++) {
                checksum += (long long)(read_pages(old_pages + p * PAGE, new_pages + p * PAGE) & 1);
                if (++p == count) p = 0;
            }
            break;
        case 's':
            for (long q = 0; q < count; q++) {
                if (lengths[q] > 0 && memcmp(targets + q * PAGE, new_pages + q * PAGE, PAGE) != 0) {
                    fprintf(stderr, "harness: page %ld decoded wrong\n", q);
                    return 1;
                }
            }
            printf("{\"encodedBytes\":%lld,\"overflows\":%ld,\"unchanged\":%ld,"
                   "\"decodedPages\":%ld,\"checksum\":%lld}\n",
                   encoded_bytes, overflows, unchanged, decoded_pages, checksum);
            fflush(stdout);
            continue;
        case 'q':
            return 0;
        default:
            fprintf(stderr, "harness: unknown command %c\n", command[0]);
            return 2;
        }
        printf("%.9f\n", now_seconds() - start);
        fflush(stdout);
    }
    return 0;
}
