#!/usr/bin/env python3
# Writes the seed corpus of fuzz/slab_ops.c (records: op, a, b, c; see there).
# Hidden so that the replay test (fuzz/replay.c) skips it.
import os

CREATE, ALLOC, FREE, WRITE, DEFRAG, SHRINK, DESTROY, FAIL, STATS, THREAD = range(10)
HW, POISON, RCU, MOBILE = 1 << 2, 2 << 2, 4 << 2, 8 << 2


def rec(op, a=0, b=0, c=0):
    return bytes([op, a & 0xff, b & 0xff, c & 0xff])


def slot(n, flags=0):
    return n | flags


seeds = {
    "basic": [rec(CREATE, slot(0), 0, 64), rec(ALLOC, 0, 15, 1), rec(STATS, 0),
              rec(FREE, 0, 3, 5), rec(WRITE, 0, 2, 9), rec(STATS, 0), rec(DESTROY, 0)],
    "xa_node_size": [rec(CREATE, slot(1), 2, 72)] + [rec(ALLOC, 1, 15, i) for i in range(20)] +
                    [rec(FREE, 1, i * 3, 7) for i in range(30)] + [rec(SHRINK, 1), rec(STATS, 1)],
    "poison": [rec(CREATE, slot(2, POISON), 0, 200)] + [rec(ALLOC, 2, 15, i) for i in range(6)] +
              [rec(FREE, 2, i, 3) for i in range(10)] + [rec(ALLOC, 2, 15, 77), rec(WRITE, 2, 5, 3)],
    "hwcache_align": [rec(CREATE, slot(3, HW | 0x40), 0, 5), rec(ALLOC, 3, 15, 2),
                      rec(WRITE, 3, 1, 4), rec(STATS, 3)],
    "typesafe": [rec(CREATE, slot(0, RCU), 1, 0)] + [rec(ALLOC, 0, 15, i) for i in range(4)] +
                [rec(FREE, 0, 0, 7)] * 9 + [rec(SHRINK, 0), rec(STATS, 0), rec(DESTROY, 0)],
    "destroy_busy": [rec(CREATE, slot(1), 0, 32), rec(ALLOC, 1, 3, 0), rec(DESTROY, 1),
                     rec(CREATE, slot(1), 0, 48), rec(ALLOC, 1, 1, 0), rec(STATS, 1)],
    "fault": [rec(CREATE, slot(2), 0, 100), rec(FAIL, 2, 2), rec(ALLOC, 2, 4, 0),
              rec(FAIL, 2, 0), rec(ALLOC, 2, 1, 5), rec(STATS, 2)],
    "mobile_defrag": [rec(CREATE, slot(0, MOBILE), 0, 150)] +
                     [rec(ALLOC, 0, 15, i * 16) for i in range(16)] +
                     [rec(FREE, 0, i * 8, 6) for i in range(32)] +
                     [rec(DEFRAG, 0, 50), rec(STATS, 0), rec(DEFRAG, 0, 100), rec(WRITE, 0, 3, 1)],
    "mobile_poison_defrag": [rec(CREATE, slot(1, MOBILE | POISON), 1, 0)] +
                            [rec(ALLOC, 1, 15, i * 16) for i in range(16)] +
                            [rec(FREE, 1, i * 4, 2) for i in range(64)] +
                            [rec(DEFRAG, 1, 70), rec(ALLOC, 1, 15, 3), rec(STATS, 1)],
    "threads": [rec(CREATE, slot(2), 0, 90)] + [rec(ALLOC, 2, 15, i) for i in range(8)] +
               [rec(THREAD, 2, 7, 7)] * 6 + [rec(STATS, 2), rec(SHRINK, 2)],
    "big_objects": [rec(CREATE, slot(3, 0x80), 6, 0), rec(ALLOC, 3, 5, 1), rec(FREE, 3, 0, 2),
                    rec(STATS, 3), rec(CREATE, slot(0, 0x80 | MOBILE), 2, 0), rec(ALLOC, 0, 15, 0),
                    rec(DEFRAG, 0, 100)],
    "everything": [rec(CREATE, slot(i, f), i, 40 * i + 8) for i, f in
                   enumerate([0, POISON, RCU, MOBILE])] +
                  [rec(op, a, b, c) for op, a, b, c in
                   [(ALLOC, s, 15, s) for s in range(4)] + [(THREAD, s, 3, 2) for s in range(4)] +
                   [(DEFRAG, 3, 60, 0), (FREE, 1, 2, 7), (STATS, 0, 0, 0), (STATS, 3, 0, 0),
                    (DESTROY, 2, 0, 0), (WRITE, 1, 1, 1)]],
}

here = os.path.dirname(os.path.abspath(__file__))
for name, records in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(b"".join(records))
