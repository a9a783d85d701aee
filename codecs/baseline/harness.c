/*
 * Times the scalar XBZRLE re-implementation (xbzrle-scalar.c) over page pairs read from stdin:
 * `count` old pages then `count` new pages, 4096 bytes each (run.ts writes the same pairs
 * codecs/page-kinds.ts gives the codec benchmark). Prints one JSON line:
 * best-of-`reps` encode and decode GB/s of page bytes (4096 per page), plus totals.
 * Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other processes on a shared
 * machine do not count against it; run.ts times migbench the same way (process.cpuUsage()).
 * Decode runs in place onto the old pages, as QEMU's receiver decodes onto the guest page
 * (migration/ram.c load_xbzrle); pages that overflowed or were unchanged have nothing to decode.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xbzrle-scalar.h"

#define PAGE 4096

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void read_all(uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, stdin);
        if (r == 0) {
            fprintf(stderr, "harness: stdin ended after %zu of %zu bytes\n", got, n);
            exit(1);
        }
        got += r;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: harness COUNT REPS < old-pages new-pages\n");
        return 2;
    }
    long count = atol(argv[1]);
    int reps = atoi(argv[2]);
    size_t bytes = (size_t)count * PAGE;
    uint8_t *old_pages = aligned_alloc(64, bytes);
    uint8_t *new_pages = aligned_alloc(64, bytes);
    uint8_t *deltas = aligned_alloc(64, bytes);
    int *lengths = malloc(sizeof(int) * (size_t)count);
    uint8_t out[PAGE];
    if (!old_pages || !new_pages || !deltas || !lengths) {
        fprintf(stderr, "harness: out of memory\n");
        return 1;
    }
    read_all(old_pages, bytes);
    read_all(new_pages, bytes);

    double best_encode = 1e30;
    long long checksum = 0;
    for (int r = 0; r < reps; r++) {
        double start = now_seconds();
        for (long p = 0; p < count; p++) {
            checksum += scalar_xbzrle_encode(old_pages + p * PAGE, new_pages + p * PAGE, PAGE,
                                             out, PAGE);
        }
        double elapsed = now_seconds() - start;
        if (elapsed < best_encode) best_encode = elapsed;
    }

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

    /* decoding in place is idempotent, so every rep decodes onto the same old pages */
    double best_decode = 1e30;
    for (int r = 0; r < reps && decoded_pages > 0; r++) {
        double start = now_seconds();
        for (long p = 0; p < count; p++) {
            if (lengths[p] > 0) {
                if (scalar_xbzrle_decode(deltas + p * PAGE, lengths[p], old_pages + p * PAGE,
                                         PAGE) < 0) {
                    fprintf(stderr, "harness: page %ld did not decode\n", p);
                    return 1;
                }
            }
        }
        double elapsed = now_seconds() - start;
        if (elapsed < best_decode) best_decode = elapsed;
    }
    for (long p = 0; p < count; p++) {
        if (lengths[p] >= 0 && memcmp(old_pages + p * PAGE, new_pages + p * PAGE, PAGE) != 0) {
            fprintf(stderr, "harness: page %ld decoded wrong\n", p);
            return 1;
        }
    }

    printf("{\"encodeGBps\":%.4f,\"decodeGBps\":", (double)bytes / best_encode / 1e9);
    if (decoded_pages) printf("%.4f", (double)decoded_pages * PAGE / best_decode / 1e9);
    else printf("null");
    printf(",\"encodedBytes\":%lld,\"overflows\":%ld,\"unchanged\":%ld,\"checksum\":%lld}\n",
           encoded_bytes, overflows, unchanged, checksum);
    return 0;
}
