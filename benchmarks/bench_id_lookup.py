#!/usr/bin/env python
"""    python benchmarks/bench_id_lookup.py INDEX.duckdb [SIZES ...]

How an add should look up which of its document ids are stored (`index/store._stored_texts`,
each of its two forms forced by its cut-off ``_ID_LIST_MAX``): by a list of values (``doc_id IN (?, ...)``, which DuckDB answers from the ``doc_id`` key's
index) or by a semi join with the ids registered as a table (a pass over every stored id). For
each size, ids drawn from the index plus a tenth as many unknown ones, four draws: the median of
each form, which must give the same rows. Sets ``_ID_LIST_MAX`` (RESULTS.md)."""
import statistics
import sys
import time
import warnings

import duckdb
import numpy as np

from reprints.index import store

warnings.simplefilter("ignore")  # DuckDB 2 notes the copy of results
path = sys.argv[1]
sizes = [int(s) for s in sys.argv[2:]] or [100, 200, 400, 700, 1000, 2000]
con = duckdb.connect(path, read_only=True)
pool = [r[0] for r in con.execute(f"SELECT doc_id FROM documents USING SAMPLE {2 * max(sizes)} ROWS").fetchall()]
documents = con.execute("SELECT count(*) FROM documents").fetchall()[0][0]
print(f"{path}: {documents} documents")
rng = np.random.default_rng(3)
for k in sizes:
    by_list, by_join = [], []
    for draw in range(4):
        ids = [pool[i] for i in rng.choice(len(pool), min(k, len(pool)), replace=False)]
        ids += [f"unknown-{draw}-{i}" for i in range(k // 10)]
        store._ID_LIST_MAX = len(ids)  # the list of values
        t = time.perf_counter()
        listed = store._stored_texts(con, ids)
        by_list.append(time.perf_counter() - t)
        store._ID_LIST_MAX = 0  # the join
        t = time.perf_counter()
        joined = store._stored_texts(con, ids)
        by_join.append(time.perf_counter() - t)
        assert listed == joined
    print(f"{len(ids):6d} ids: list {1000 * statistics.median(by_list):7.1f} ms   "
          f"join {1000 * statistics.median(by_join):7.1f} ms")
