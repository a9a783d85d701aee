/*
 * migbench's guest load generators for the QEMU validation lab (npm run validate:qemu).
 *
 * One static program, four modes, each a workload whose dirtying the simulator also models:
 *   idle                       touches nothing after start-up (the OS's own writes remain)
 *   stride [MiB]               QEMU's XBZRLE docs load generator: a buffer (16 MiB) in which each
 *                              pass adds 1 to one byte every 1024 bytes, forever, as fast as it can
 *   sparse [MiB] [writes/s]    random 8-byte writes at a fixed rate to pages drawn uniformly from
 *                              a working set (192 MiB, 4000 writes/s)
 *   zipf [MiB] [writes/s]      the same with Zipf(1.0)-popular pages, to exercise caches
 *
 * Every mode checks its own memory, so a migration that delivered a stale page is caught at the
 * destination: stride checks that every counted byte equals the pass count; sparse and zipf keep
 * each page's write count both in the page and in a separate table and check that they agree;
 * idle checks a 1 MiB pattern written at start. Once a second it prints one heartbeat line on
 * the serial console:
 *   mb t=<ms since start> mode=<m> passes=<n> writes=<n> checks=<n> bad=<n>
 * The lab reads those lines from the destination's serial log: a heartbeat with checks that grew
 * after the switch-over and bad=0 means the guest is alive and consistent.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t started_ns, last_beat_ns;
static uint64_t passes, writes, checks, bad;
static const char *mode_name;

static void heartbeat(int force) {
  uint64_t t = now_ns();
  if (!force && t - last_beat_ns < 1000000000u) return;
  last_beat_ns = t;
  char line[200];
  int n = snprintf(line, sizeof line,
                   "mb t=%llu mode=%s passes=%llu writes=%llu checks=%llu bad=%llu\n",
                   (unsigned long long)((t - started_ns) / 1000000u), mode_name,
                   (unsigned long long)passes, (unsigned long long)writes,
                   (unsigned long long)checks, (unsigned long long)bad);
  if (write(1, line, (size_t)n) < 0) exit(3);
}

static unsigned char *alloc_touched(size_t bytes) {
  unsigned char *p = aligned_alloc(PAGE, bytes);
  if (!p) {
    fprintf(stderr, "mb: cannot allocate %zu bytes\n", bytes);
    exit(2);
  }
  memset(p, 0, bytes);
  return p;
}

static void run_idle(void) {
  size_t bytes = 1u << 20;
  unsigned char *pattern = alloc_touched(bytes);
  for (size_t i = 0; i < bytes; i++) pattern[i] = (unsigned char)(i * 131u + 7u);
  for (;;) {
    sleep(1);
    for (size_t i = 0; i < bytes; i++)
      if (pattern[i] != (unsigned char)(i * 131u + 7u)) {
        bad++;
        break;
      }
    checks++;
    heartbeat(1);
  }
}

static void run_stride(size_t mib) {
  size_t bytes = mib << 20;
  unsigned char *buf = alloc_touched(bytes);
  for (;;) {
    for (size_t i = 0; i < bytes; i += 1024) buf[i]++;
    passes++;
    /* Every 64 passes: every counted byte must equal the pass count (mod 256). */
    if ((passes & 63) == 0) {
      unsigned char want = (unsigned char)passes;
      for (size_t i = 0; i < bytes; i += 1024)
        if (buf[i] != want) {
          bad++;
          break;
        }
      checks++;
      heartbeat(0);
    }
  }
}

/* Zipf(s) over n pages: a cumulative table searched by bisection. */
static double *zipf_cdf(size_t n, double s) {
  double *cdf = malloc(n * sizeof *cdf);
  double sum = 0;
  for (size_t k = 0; k < n; k++) sum += 1.0 / pow((double)(k + 1), s);
  double acc = 0;
  for (size_t k = 0; k < n; k++) {
    acc += 1.0 / pow((double)(k + 1), s) / sum;
    cdf[k] = acc;
  }
  return cdf;
}

static size_t zipf_pick(const double *cdf, size_t n) {
  double u = (double)(next_random() >> 11) * (1.0 / 9007199254740992.0);
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void run_random(size_t mib, double writes_per_s, int zipf) {
  size_t pages = (mib << 20) / PAGE;
  unsigned char *buf = alloc_touched(pages * PAGE);
  uint64_t *count = calloc(pages, sizeof *count);
  /* Popular pages scattered over the buffer, not packed at its start. */
  size_t *where = malloc(pages * sizeof *where);
  for (size_t i = 0; i < pages; i++) where[i] = i;
  for (size_t i = pages - 1; i > 0; i--) {
    size_t j = next_random() % (i + 1), t = where[i];
    where[i] = where[j];
    where[j] = t;
  }
  double *cdf = zipf ? zipf_cdf(pages, 1.0) : NULL;
  uint64_t t0 = now_ns(), last_check = t0;
  for (;;) {
    uint64_t t = now_ns();
    uint64_t due = (uint64_t)((double)(t - t0) * writes_per_s / 1e9);
    while (writes < due) {
      size_t page = zipf ? where[zipf_pick(cdf, pages)] : (size_t)(next_random() % pages);
      unsigned char *p = buf + page * PAGE;
      uint64_t c = ++count[page];
      memcpy(p, &c, 8); /* the page's own copy of its write count */
      size_t slot = 1 + (size_t)(next_random() % (PAGE / 8 - 1));
      uint64_t value = next_random();
      memcpy(p + slot * 8, &value, 8);
      writes++;
    }
    if (t - last_check >= 1000000000u) {
      last_check = t;
      for (size_t i = 0; i < pages; i++) {
        uint64_t c;
        memcpy(&c, buf + i * PAGE, 8);
        if (c != count[i]) {
          bad++;
          break;
        }
      }
      checks++;
      heartbeat(1);
    }
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
}

int main(int argc, char **argv) {
  started_ns = last_beat_ns = now_ns();
  mode_name = argc > 1 ? argv[1] : "idle";
  double a = argc > 2 ? atof(argv[2]) : 0, b = argc > 3 ? atof(argv[3]) : 0;
  heartbeat(1);
  if (strcmp(mode_name, "idle") == 0) run_idle();
  if (strcmp(mode_name, "stride") == 0) run_stride(a > 0 ? (size_t)a : 16);
  if (strcmp(mode_name, "sparse") == 0) run_random(a > 0 ? (size_t)a : 192, b > 0 ? b : 4000, 0);
  if (strcmp(mode_name, "zipf") == 0) run_random(a > 0 ? (size_t)a : 192, b > 0 ? b : 4000, 1);
  fprintf(stderr, "mb: unknown mode %s (idle, stride, sparse, zipf)\n", mode_name);
  return 2;
}
