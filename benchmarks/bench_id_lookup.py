#!/usr/bin/env python
"""    python benchmarks/bench_id_lookup.py INDEX.duckdb [SIZES ...]

How an add should look up which of its document ids are stored (`index/store._stored_texts`):
by a list of values (``doc_id IN (?, ...)``, which DuckDB answers from the ``doc_id`` key's
index) or by a semi join with the ids registered as a table (a pass over every stored id). For
each size, ids drawn from the index plus a tenth as many unknown ones, four draws: the median of
each form, which must give the same rows. Sets ``_ID_LIST_MAX`` (RESULTS.md)."""
import statistics
import sys
import time
import warnings

import duckdb
import numpy as np
import pyarrow as pa

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
        t = time.perf_counter()
        listed = dict(con.execute(f"SELECT doc_id, text FROM documents WHERE doc_id IN ({', '.join('?' * len(ids))})",
                                  ids).fetchall())
        by_list.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.register("incoming_ids", pa.table({"doc_id": pa.array(ids, pa.string())}))
        joined = dict(con.execute("SELECT d.doc_id, d.text FROM documents d SEMI JOIN incoming_ids i "
                                  "ON d.doc_id = i.doc_id").fetchall())
        con.unregister("incoming_ids")
        by_join.append(time.perf_counter() - t)
        assert listed == joined
    print(f"{len(ids):6d} ids: list {1000 * statistics.median(by_list):7.1f} ms   "
          f"join {1000 * statistics.median(by_join):7.1f} ms")
