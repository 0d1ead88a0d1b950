"""Local engine vs Spark engine on Reuters-21578: wall time and whether the tables agree.

    .venv/bin/python benchmarks/bench_spark.py [--limit 5000] [--master local[4]]

Documents are the articles with a non-empty body (id = newid, text = body, date = date), in
file order. The Spark time includes neither the session start nor the JVM warm-up run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pyarrow as pa

import reprints
import reprints.spark as reprints_spark

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578" / "reuters21578.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REUTERS)
    parser.add_argument("--limit", type=int, default=0, help="first N documents (0: all)")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    args = parser.parse_args()

    rows = []
    with open(args.data, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("body"):
                rows.append({"id": str(row["newid"]), "text": row["body"], "date": row.get("date")})
    if args.limit:
        rows = rows[: args.limit]
    table = pa.Table.from_pylist(rows)

    started = time.perf_counter()
    local = reprints.scan(table)
    local_s = time.perf_counter() - started

    spark = reprints_spark.session(args.master, conf={"spark.sql.shuffle.partitions": str(args.partitions)})
    spark.sparkContext.setLogLevel("ERROR")
    reprints_spark.scan(spark.createDataFrame(rows[:50], "id string, text string, date string"))  # warm-up
    df = spark.createDataFrame(rows, "id string, text string, date string")
    started = time.perf_counter()
    tables = reprints_spark.scan(df)
    got = {name: reprints_spark._to_arrow(tables[name]).cast(getattr(local, name).schema)
           for name in ("documents", "pairs", "passages", "clusters")}
    spark_s = time.perf_counter() - started
    same = {name: got[name].to_pylist() == getattr(local, name).to_pylist() for name in got}
    print(json.dumps({"documents": len(rows), "master": args.master, "local_seconds": round(local_s, 2),
                      "spark_seconds": round(spark_s, 2), "passages": local.passages.num_rows,
                      "identical": same}, indent=2))
    spark.stop()


if __name__ == "__main__":
    main()
