"""A small in-memory key-value store under a steady, skewed load: the program recorded for
workloads/traces/sqlite-kv.trace (see README.md there).

SQLite keeps an in-memory database in its page cache on the heap, like a DBMS buffer pool: the
SAP-like case of DESIGN.md §5 in miniature. The load is paced (a tick every 10 ms) so the dirty
rate is a property of the program, not of how fast the machine is:
  - 20 000 rows of (key, counter, updated_at, 48-byte text value), about 3 MiB of database;
  - each tick: 60 updates (counter += 1, timestamp, and one in eight also rewrites its value),
    keys drawn from a Zipf-like distribution (int(N ** random()) is log-uniform: hot keys are
    the low ones), plus 2 inserts of new keys;
  - runs for RUN_SECONDS (default 12) and exits.
Seeded, so the key sequence is the same on every run (timing and the interpreter's own
allocations still vary a little).
"""

import random
import sqlite3
import sys
import time

ROWS = 20_000
UPDATES_PER_TICK = int(sys.argv[2]) if len(sys.argv) > 2 else 15
INSERTS_PER_TICK = 1
TICK_S = 0.010
RUN_SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 12.0

rng = random.Random(20261125)
db = sqlite3.connect(":memory:")
db.execute(
    "CREATE TABLE kv (key INTEGER PRIMARY KEY, counter INTEGER, updated_at REAL, value TEXT)"
)


WORDS = ["alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "tango"]


def value_text(key: int, version: int) -> str:
    # Text like an application's: structured, a few words from a small vocabulary.
    words = " ".join(rng.choice(WORDS) for _ in range(4))
    return f"user-{key:08d}-v{version:06d}-{words}"


db.executemany(
    "INSERT INTO kv VALUES (?, 0, 0, ?)", ((k, value_text(k, 0)) for k in range(ROWS))
)
db.commit()
next_key = ROWS

start = time.monotonic()
tick = 0
while time.monotonic() - start < RUN_SECONDS:
    now = time.monotonic() - start
    for _ in range(UPDATES_PER_TICK):
        key = int(next_key ** rng.random()) - 1
        if rng.random() < 0.125:
            db.execute(
                "UPDATE kv SET counter = counter + 1, updated_at = ?, value = ? WHERE key = ?",
                (now, value_text(key, tick), key),
            )
        else:
            db.execute(
                "UPDATE kv SET counter = counter + 1, updated_at = ? WHERE key = ?", (now, key)
            )
    for _ in range(INSERTS_PER_TICK):
        db.execute("INSERT INTO kv VALUES (?, 0, ?, ?)", (next_key, now, value_text(next_key, 0)))
        next_key += 1
    db.commit()
    tick += 1
    # Sleep to the next tick boundary (the pacing that makes the dirty rate a program property).
    time.sleep(max(0.0, start + tick * TICK_S - time.monotonic()))
