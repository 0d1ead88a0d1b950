"""reprints as a ``spark-submit`` application: Parquet in, Parquet out, on any Hadoop path.

    spark-submit --master yarn --deploy-mode cluster [...] \\
        "$(python -c 'import reprints.spark_job as j; print(j.__file__)')" \\
        s3a://bucket/corpus/ --out s3a://bucket/run/ [--min-words 20] [--config config.json]

Inputs are Parquet (files or folders) with one document per row (fields per ``config.read``:
``id``, ``text``, ``source``, ``date`` by default). The four tables are written by Spark as
Parquet folders ``OUT/documents``, ``OUT/pairs``, ``OUT/passages``, ``OUT/clusters``, then
``OUT/_REPRINTS_COMPLETE`` (the configuration and inputs, as JSON) last: a run without that
marker is incomplete, whatever else its folder holds. Nothing is gathered on the driver.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reprints.config import ScanConfig

MARKER = "_REPRINTS_COMPLETE"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reprints.spark_job", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="Parquet files or folders (any Hadoop-compatible path).")
    parser.add_argument("--out", required=True, help="Folder for the four tables (must not exist).")
    parser.add_argument("--config", help="JSON file of a ScanConfig (as the 'config' of a run.json).")
    parser.add_argument("--min-words", type=int, help="Minimum matched words for a passage.")
    parser.add_argument("--max-df", type=int, help="Ignore n-grams found in more documents than this.")
    parser.add_argument("--paraphrase", choices=["off", "related", "all"], help="Sentence-level matching.")
    for field in ("id", "text", "source", "date"):
        parser.add_argument(f"--{field}-field", help=f"Field holding the document {field}.")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> ScanConfig:
    config = ScanConfig()
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            config = ScanConfig.from_dict(json.load(fh))
    read = {f"{k}_field": getattr(args, f"{k}_field") for k in ("id", "text", "source", "date")}
    align = {"min_words": args.min_words, "paraphrase": args.paraphrase}
    return config.replace(read={k: v for k, v in read.items() if v is not None},
                          align={k: v for k, v in align.items() if v is not None},
                          candidates={} if args.max_df is None else {"max_df": args.max_df})


def _filesystem(spark, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def write_tables(spark, tables: dict[str, Any], out: str, info: dict[str, Any]) -> None:
    """Each table as a Parquet folder under ``out``, then the completion marker."""
    fs, root = _filesystem(spark, out)
    if fs.exists(root):
        raise FileExistsError(f"{out} exists; choose a new output folder")
    for name, df in tables.items():
        df.write.parquet(f"{out.rstrip('/')}/{name}")
    jvm = spark.sparkContext._jvm
    stream = fs.create(jvm.org.apache.hadoop.fs.Path(root, MARKER), False)
    try:
        stream.write(bytearray(json.dumps(info, indent=2).encode("utf-8")))
    finally:
        stream.close()


def is_complete(spark, out: str) -> bool:
    fs, root = _filesystem(spark, out)
    return bool(fs.exists(spark.sparkContext._jvm.org.apache.hadoop.fs.Path(root, MARKER)))


def main(argv: list[str] | None = None, spark=None) -> int:
    from pyspark.sql import SparkSession

    from reprints import __version__
    from reprints import spark as reprints_spark

    args = parse_args(argv)
    config = config_from(args)
    spark = spark or SparkSession.builder.appName("reprints").getOrCreate()
    fs, root = _filesystem(spark, args.out)
    if fs.exists(root):
        print(f"error: {args.out} exists; choose a new output folder", file=sys.stderr)
        return 2
    tables = reprints_spark.scan(spark.read.parquet(*args.inputs), config)
    write_tables(spark, tables, args.out, {"reprints_version": __version__, "engine": "spark",
                                           "inputs": args.inputs, "config": config.to_dict()})
    print(f"reprints: wrote {', '.join(tables)} under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
