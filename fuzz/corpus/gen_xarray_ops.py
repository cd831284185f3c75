#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz/xarray_ops.c into fuzz/corpus/xarray_ops/.

Each seed exercises one family of operations (plus whatever it needs to
set up), encoded as fuzz/xarray_ops.c decodes it; the operation numbers
below mirror its enum xf_op. Re-running rewrites the seeds byte for byte.
Crash reproducers found by fuzzing live next to them as crash-*.

    python3 fuzz/corpus/gen_xarray_ops.py
"""
import os

(STORE, ERASE, CMPXCHG, INSERT, RESERVE, RELEASE, ALLOC, ALLOC_CYCLIC,
 STORE_RANGE, STORE_ORDER, SET_MARK, CLEAR_MARK, GET_MARK, LOAD, FIND,
 FIND_AFTER, FOR_EACH, FOR_EACH_MARKED, XAS_FOR_EACH, XAS_WALK, EXTRACT,
 DESTROY, FAIL_ALLOC, DEFRAG, COMPACT, SPLIT, FOR_EACH_ERASE, CREATE_RANGE,
 CONFLICT) = range(29)

PLAIN, ALLOC_ARR, ALLOC1_ARR = 0, 1, 2
LOCKED = 6          # array selector 6 = the plain array through __xa_*; 7 = ALLOC
KERNEL, NOWAIT = 0, 1

ULONG_MAX_IDX = [0xc0]                # read_index(): huge base 0 = ULONG_MAX


def op(code, arr=PLAIN):
    return [(arr << 5) | code]


def idx(i):
    """Encode a small (< 0x4000) index."""
    if i < 0x80:
        return [i]
    assert i < 0x4000
    return [0x80 | (i >> 8), i & 0xff]


def huge(base, mode=0, arg=0):
    """base: 0 ULONG_MAX, 1 ULONG_MAX-64, 2 2^32, 3 UINT_MAX, 4 LONG_MAX,
    5 LONG_MAX+1, 6 2^40, 7 2^24; mode: 0 base, 1 minus arg, 2 plus arg."""
    b = [0xc0 | base | (mode << 3)]
    return b + ([arg] if mode else [])


def val(v):
    assert v < 0x70
    return [v]


def ptr(i):
    return [0x80 | i]


NULL, INVALID, ZERO = [0x70], [0x7b], [0x7d]


def store(i, e, arr=PLAIN, gfp=KERNEL):
    return op(STORE, arr) + i + e + [gfp]


def erase(i, arr=PLAIN):
    return op(ERASE, arr) + i


def mark(i, m, arr=PLAIN, clear=False):
    return op(CLEAR_MARK if clear else SET_MARK, arr) + i + [m]


def store_range(i, order, e, gfp=KERNEL):
    return op(STORE_RANGE) + i + [order] + e + [gfp]


def store_order(i, order, e, arr=PLAIN, gfp=KERNEL):
    return op(STORE_ORDER, arr) + i + [order] + e + [gfp]


def fail(n, arr=PLAIN):
    return op(FAIL_ALLOC, arr) + [n - 1]


def fill(n, step=1, arr=PLAIN, base=0):
    out = []
    for k in range(n):
        out += store(idx(base + k * step), val(k % 0x70), arr)
    return out


def readers(arr=PLAIN, start=0):
    """One of each reader, from @start to ULONG_MAX."""
    return (op(LOAD, arr) + idx(start) +
            op(FIND, arr) + idx(start) + [1, 0x0f] +
            op(FIND_AFTER, arr) + idx(start) + [1, 0x0f] +
            op(FOR_EACH, arr) + idx(start) + [1] +
            op(FOR_EACH_MARKED, arr) + [1] +
            op(XAS_FOR_EACH, arr) + idx(start) + [1, 0] +
            op(XAS_FOR_EACH, arr) + idx(start) + [1, 3] +
            op(XAS_WALK, arr) + idx(start) + [70, 0xff] +
            op(EXTRACT, arr) + idx(start) + [1, 0x0f, 39])


SEEDS = {
    "store-erase": fill(40) + erase(idx(3)) + store(idx(3), NULL) +
                   erase(idx(39)) + store(idx(5), ptr(1)) + readers(),
    "store-deep": fill(30, step=67) + fill(10, step=511, base=7) + readers(start=100) +
                  [e for k in range(30) for e in erase(idx(k * 67))],
    "store-huge": store(ULONG_MAX_IDX, val(1)) + store(huge(1), ptr(2)) +
                  store(huge(4), val(3)) + store(huge(5), val(4)) + store(huge(2), val(5)) +
                  store(idx(0), val(6)) + readers() + readers(start=0x3fff) +
                  erase(ULONG_MAX_IDX) + erase(idx(0)),
    "store-nowait": fill(20, step=9, arr=PLAIN) + store(idx(0x300), val(9), gfp=NOWAIT) +
                    store(idx(0x1000), ptr(3), gfp=NOWAIT),
    "locked-api": store(idx(70), val(1), arr=LOCKED) + erase(idx(70), arr=LOCKED) +
                  op(CMPXCHG, LOCKED) + idx(5) + [0] + val(2) +
                  op(INSERT, LOCKED) + idx(6) + val(3) + [0] +
                  op(INSERT, LOCKED) + idx(6) + val(4) + [0] +
                  op(ALLOC, 7) + [0] + val(5) + [0],
    "cmpxchg": fill(10) + op(CMPXCHG) + idx(3) + [2] + val(33) +
               op(CMPXCHG) + idx(4) + [0] + val(1) + op(CMPXCHG) + idx(50) + [0] + ptr(7) +
               op(CMPXCHG) + idx(50) + [3] + ptr(7) + NULL + op(LOAD) + idx(50),
    "insert": op(INSERT) + idx(9) + val(1) + [0] + op(INSERT) + idx(9) + val(2) + [0] +
              op(INSERT) + idx(10) + NULL + [0] + op(INSERT) + idx(10) + val(3) + [0] +
              op(INSERT) + idx(11) + INVALID + [0] + readers(),
    "reserve-release": op(RESERVE) + idx(4) + [0] + op(RESERVE) + idx(300) + [1] +
                       store(idx(4), val(8)) + op(RELEASE) + idx(4) + op(RELEASE) + idx(300) +
                       op(RESERVE) + idx(5) + [0] + readers() + op(LOAD) + idx(5),
    "zero-entry": store(idx(2), ZERO) + op(CMPXCHG) + idx(2) + [1] + val(4) +
                  store(idx(3), ZERO) + op(CMPXCHG) + idx(3) + [1] + NULL + readers(),
    "invalid": store(idx(1), INVALID) + op(CMPXCHG) + idx(1) + [0] + INVALID +
               store_range(idx(0), 2, ZERO) + mark(idx(1), 7) + op(GET_MARK) + idx(1) + [0x0f],
    "alloc": [e for k in range(20) for e in op(ALLOC, ALLOC_ARR) + [0] + val(k) + [0]] +
             erase(idx(4), ALLOC_ARR) + erase(idx(7), ALLOC_ARR) +
             op(ALLOC, ALLOC_ARR) + [0] + NULL + [0] + op(ALLOC, ALLOC_ARR) + [1, 5, 3] + val(1) + [1] +
             op(ALLOC, ALLOC_ARR) + [3, 9, 2] + val(1) + [0] + readers(ALLOC_ARR),
    "alloc1": [e for k in range(12) for e in op(ALLOC, ALLOC1_ARR) + [0] + val(k) + [0]] +
              erase(idx(1), ALLOC1_ARR) + op(ALLOC, ALLOC1_ARR) + [1, 0, 4] + ptr(1) + [0] +
              readers(ALLOC1_ARR) + op(DESTROY, ALLOC1_ARR) +
              op(ALLOC, ALLOC1_ARR) + [0] + val(1) + [0],
    "alloc-limits": op(ALLOC, ALLOC_ARR) + [2, 3] + val(1) + [0] +
                    op(ALLOC, ALLOC_ARR) + [2, 0] + val(2) + [0] +
                    op(ALLOC, ALLOC_ARR) + [1, 250, 5] + val(3) + [0] +
                    op(ALLOC, ALLOC_ARR) + [3, 9, 2] + val(4) + [0] +
                    op(ALLOC, PLAIN) + [0] + val(4) + [0],
    "alloc-cyclic": [e for k in range(6) for e in
                     op(ALLOC_CYCLIC, ALLOC_ARR) + [1, 0, 5] + val(k) + [0]] +
                    erase(idx(2), ALLOC_ARR) +
                    op(ALLOC_CYCLIC, ALLOC_ARR) + [1, 0, 5] + val(9) + [0] +
                    op(ALLOC_CYCLIC, ALLOC_ARR) + [1, 0, 5] + val(9) + [0],
    "alloc-cyclic-wrap": op(ALLOC_CYCLIC, ALLOC_ARR) + [2, 1] + val(1) + [0] +
                         op(ALLOC_CYCLIC, ALLOC_ARR) + [2, 1] + val(2) + [0] +
                         op(ALLOC_CYCLIC, ALLOC_ARR) + [2, 1] + val(3) + [0] +
                         op(ALLOC_CYCLIC, ALLOC_ARR) + [0] + val(4) + [0] +
                         op(ALLOC_CYCLIC, ALLOC_ARR) + [0] + val(5) + [0] +
                         op(ALLOC_CYCLIC, ALLOC1_ARR) + [2, 0] + val(6) + [0] +
                         op(ALLOC_CYCLIC, ALLOC1_ARR) + [0] + val(7) + [0],
    "store-range": store_range(idx(8), 3, val(1)) + store_range(idx(64), 6, ptr(2)) +
                   store_range(idx(4096), 12, val(3)) + store_range(idx(256), 8, NULL) +
                   readers() + op(LOAD) + idx(9) + op(LOAD) + idx(100) + op(LOAD) + idx(5000),
    "store-range-huge": store_range(ULONG_MAX_IDX, 4, val(1)) + store_range(huge(4), 7, val(2)) +
                        store_range(huge(5), 13, ptr(3)) + readers(start=0x3fff) +
                        op(XAS_WALK) + ULONG_MAX_IDX + [20, 0x0f],
    "store-order": store_order(idx(16), 2, val(1)) + store_order(idx(128), 7, ptr(4)) +
                   store_order(idx(0), 13, val(2)) + store_order(idx(0), 3, NULL) +
                   store_order(idx(3), 0, val(7), arr=ALLOC_ARR) + readers(),
    "multi-overwrite": fill(16) + mark(idx(2), 1) + mark(idx(5), 2) + store_order(idx(0), 3, val(9)) +
                       store(idx(3), val(10)) + erase(idx(6)) + store_order(idx(0), 4, ptr(1)) +
                       store_order(idx(4), 1, val(3)) + readers(),
    "multi-in-bigger": store_order(idx(0), 8, val(1)) + store_order(idx(64), 2, val(2)) +
                       store(idx(70), ptr(3)) + op(GET_MARK) + idx(100) + [1] + erase(idx(200)) +
                       readers(),
    "marks": fill(30, step=3) + mark(idx(3), 0) + mark(idx(30), 1) + mark(idx(60), 2) +
             mark(idx(31), 1) + mark(idx(30), 1, clear=True) + op(GET_MARK) + idx(60) + [2] +
             op(FOR_EACH_MARKED) + [2] + op(FIND) + idx(0) + [1, 0] +
             op(XAS_FOR_EACH) + idx(0) + [1, 5] + erase(idx(60)) + readers(),
    "marks-alloc": fill(10, arr=ALLOC_ARR) + mark(idx(3), 1, ALLOC_ARR) +
                   mark(idx(4), 2, ALLOC_ARR) + erase(idx(3), ALLOC_ARR) +
                   op(ALLOC, ALLOC_ARR) + [0] + val(3) + [0] + readers(ALLOC_ARR),
    "marks-multi": store_order(idx(64), 6, val(1)) + mark(idx(100), 0) + mark(idx(70), 2) +
                   op(FIND) + idx(80) + [1, 0] + op(FIND_AFTER) + idx(64) + [1, 0] +
                   store_order(idx(0), 8, val(2)) + readers(),
    "find": fill(8, step=100) + op(FIND) + idx(1) + [8, 0x0f] + op(FIND) + idx(150) + [1, 0x0f] +
            op(FIND_AFTER) + idx(100) + [21, 0x0f] + op(FIND_AFTER) + ULONG_MAX_IDX + [1, 0x0f] +
            op(FIND) + idx(900) + [0, 0x0f],
    "for-each": fill(50, step=7) + op(FOR_EACH) + idx(10) + [40] + op(FOR_EACH_MARKED) + [0x0f] +
                op(XAS_FOR_EACH) + idx(20) + [30, 0] + op(EXTRACT) + idx(0) + [1, 0x0f, 10],
    "walk": fill(20, step=3) + store_order(idx(128), 4, val(1)) +
            op(XAS_WALK) + idx(0) + [79, 0xff] + op(XAS_WALK) + idx(150) + [60, 0x00] +
            op(XAS_WALK) + idx(1) + [20, 0x0f] + op(XAS_WALK) + ULONG_MAX_IDX + [10, 0xff] +
            op(XAS_WALK) + idx(0) + [10, 0x00],
    "extract": fill(30, step=2) + mark(idx(4), 1) + mark(idx(8), 1) +
               op(EXTRACT) + idx(3) + [21, 0x0f, 30] + op(EXTRACT) + idx(0) + [1, 1, 39] +
               op(EXTRACT) + idx(0) + [1, 0x0f, 0],
    "destroy": fill(100, step=5) + op(DESTROY) + fill(10) + op(DESTROY) + op(DESTROY) +
               fill(5, arr=ALLOC_ARR) + op(DESTROY, ALLOC_ARR) + op(ALLOC, ALLOC_ARR) + [0] + val(1) + [0],
    "enomem-store": fail(1) + store(idx(100), val(1)) + fail(1) + store(idx(100), val(1), gfp=NOWAIT) +
                    fill(3) + fail(2) + store(idx(5000), val(2), gfp=NOWAIT) + fail(1) +
                    store(huge(0), val(3), gfp=NOWAIT) + readers(),
    "enomem-alloc": fail(1, ALLOC_ARR) + op(ALLOC, ALLOC_ARR) + [1, 100, 0] + val(1) + [1] +
                    fail(1, ALLOC_ARR) + op(ALLOC_CYCLIC, ALLOC_ARR) + [1, 70, 5] + val(2) + [1] +
                    fail(1, ALLOC_ARR) + op(INSERT, ALLOC_ARR) + idx(200) + val(3) + [1] +
                    fail(1, ALLOC_ARR) + op(RESERVE, ALLOC_ARR) + idx(300) + [1] + readers(ALLOC_ARR),
    "enomem-multi": fill(4) + fail(1) + store_range(idx(0x1000), 9, val(1), gfp=NOWAIT) +
                    fail(2) + store_order(idx(0x2000), 3, val(2), gfp=NOWAIT) +
                    fail(1) + op(CMPXCHG) + idx(0x300) + [1] + val(3) + readers(),
    # store_order's gfp byte: bit 1 = give up on -ENOMEM instead of xas_nomem().
    "enomem-give-up": fill(4) + fail(1) + store_order(idx(0x1000), 0, val(1), gfp=2) +
                      fail(2) + store_order(ULONG_MAX_IDX, 0, val(2), gfp=3) +
                      fail(1) + store_order(idx(0x3000), 3, val(3), gfp=3) +
                      fail(3) + store_order(huge(4), 9, ptr(1), gfp=2) + readers(),
    "split": store_order(idx(0), 3, val(1)) + mark(idx(0), 1) + op(SPLIT) + idx(5) + [1] + val(2) +
             store_order(idx(64), 6, ptr(1)) + mark(idx(64), 2) + op(SPLIT) + idx(100) + [0] + val(3) +
             store_order(idx(0x1000), 12, val(4)) + op(SPLIT) + idx(0x1000) + [7] + ptr(2) +
             store_order(idx(0x2000), 13, val(5)) + op(SPLIT) + idx(0x2000) + [0] + val(6) +
             readers(),
    "split-enomem": store_order(idx(0), 9, val(1)) + fail(1) + op(SPLIT) + idx(0) + [3] + val(2) +
                    fail(3) + op(SPLIT) + idx(0) + [5] + ptr(2) + readers(),
    "for-each-erase": fill(40, step=3) + store_order(idx(128), 5, val(1)) + mark(idx(6), 1) +
                      mark(idx(130), 1) + op(FOR_EACH_ERASE) + [1] + op(FOR_EACH_ERASE) + [0x0f] +
                      fill(5, arr=ALLOC_ARR) + op(FOR_EACH_ERASE, ALLOC_ARR) + [0x0f],
    "xas-pause": fill(30, step=5) + store_order(idx(64), 4, val(1)) + mark(idx(10), 0) +
                 mark(idx(70), 0) + op(XAS_FOR_EACH) + idx(0) + [1, 0x80] +
                 op(XAS_FOR_EACH) + idx(0) + [1, 0x81] + op(XAS_FOR_EACH) + idx(66) + [1, 0x81],
    "create-range": op(CREATE_RANGE) + idx(64) + [6, 0] + op(CREATE_RANGE) + idx(5) + [0, 9] +
                    op(CREATE_RANGE) + huge(0) + [3, 1] + fail(1) + op(CREATE_RANGE) + idx(0x1000) + [4, 2] +
                    fail(2) + op(CREATE_RANGE) + idx(0x2040) + [6, 3] + readers(),
    "conflict": fill(10, step=7) + store_order(idx(128), 4, val(1)) + op(RESERVE) + idx(200) + [0] +
                op(CONFLICT) + idx(0) + [6] + op(CONFLICT) + idx(130) + [1] +
                op(CONFLICT) + idx(0) + [8] + op(CONFLICT) + idx(0) + [0] +
                op(CONFLICT) + huge(0) + [4] + op(CONFLICT) + idx(0x3000) + [12],
    "mixed": fill(20, step=13) + store_range(idx(64), 5, val(7)) + mark(idx(70), 1) +
             op(ALLOC, ALLOC_ARR) + [0] + val(1) + [0] + op(RESERVE) + idx(3) + [0] +
             erase(idx(64)) + readers() + readers(ALLOC_ARR) + op(DEFRAG) + [50, 1] +
             op(COMPACT) + [3] + readers(),
    # Nodes move under the model: sparse trees thinned out, then defragmented
    # (DEFRAG pct, selector: odd xa_defrag_nodes, even kmem_cache_defrag) or
    # compacted (COMPACT order); every array is swept afterwards.
    "defrag": fill(120, step=64) + [b for k in range(120) if k % 8 for b in erase(idx(k * 64))] +
              mark(idx(0), 1) + op(DEFRAG) + [100, 1] + readers() +
              fill(40, step=64, base=32) + op(DEFRAG) + [60, 0] + readers(),
    "compact": fill(120, step=64, arr=ALLOC_ARR) + fill(60, step=128) +
               [b for k in range(60) if k % 4 for b in erase(idx(k * 128))] +
               op(COMPACT) + [6] + readers() + op(COMPACT) + [0] + readers(ALLOC_ARR),
    # Minimised reproducers of bugs the fuzzer found (kept as regressions).
    "crash-nr-values-multi": store_order(idx(0), 8, val(1)) + store(idx(70), ptr(3)),
    "crash-find-after-marked-multi": store_order(idx(0), 7, val(1)) + mark(idx(0), 0) +
                                     op(FIND_AFTER) + idx(70) + [1, 0] +
                                     op(FOR_EACH_MARKED) + [0],
    "crash-walk-wrap": store(idx(0), val(0)) + store(idx(1), val(1)) + store(huge(1), val(2)) +
                       op(XAS_WALK) + idx(0) + [5, 0x1c],
    "crash-pause-inside-multi": store_order(idx(0), 5, val(1)) + store_order(idx(32), 5, val(2)) +
                                store_order(idx(64), 5, val(3)) + store(idx(96), val(4)) +
                                op(XAS_FOR_EACH) + idx(18) + [18, 0x80],
    "crash-reserved-head-overwrite": op(RESERVE) + idx(0) + [0] + store(idx(0), val(0)),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xarray_ops")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        prefix = "" if name.startswith("crash-") else "seed-"
        with open(os.path.join(out, prefix + name), "wb") as f:
            f.write(bytes(data))
    print("wrote %d seeds to %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
