#!/usr/bin/env python
"""Throughput of reading a crawl: pages/s and MB/s of WARC reading plus article extraction.

    .venv/bin/python benchmarks/bench_warc.py                  # 10,000 pages + 10,000 requests
    .venv/bin/python benchmarks/bench_warc.py --pages 20000 --out benchmarks/out

The archive is built once into ``--out`` (git-ignored) from the 181 pages of the
article-extraction benchmark (``$REPRINTS_DATA/article-extraction-benchmark`` or
``../shared/data/...``), repeated with distinct URLs until ``--pages`` responses, each after its
request record, every record its own gzip member as crawlers write them (warcio's writer). Each
repeat after the first is edited as a reprint would be: one of its paragraphs (a different one per
repeat) is dropped, so the crawl holds 181 stories each carried by about ``pages / 181`` sites.

Passes:
1. ``parse``: warcio alone over the file, reading every record's body (no decoding, no extraction),
   in this process;
2. ``read``: ``reprints.io.readers.read_documents`` on the file in a fresh process: what a scan's
   read stage does (records parsed, bodies decoded, charsets, extraction, metadata, skips), with
   ``--workers`` extraction processes as ``reprints.scan`` uses (``engine.workers``); CPU time
   counts the workers too, and the peak RSS is the reading process's (ru_maxrss) and the largest
   worker's.
3. ``scan`` (with ``--scan``): ``reprints scan`` of the archive end to end in a fresh process
   (``--workers``), its wall and CPU time (workers included), the largest process's peak RSS, and
   what it found.
MB/s is given for the archive as stored (gzip) and for the HTML it holds.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_extraction import default_data  # noqa: E402


def build(data: Path, path: Path, pages: int) -> dict:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    bodies = []
    for page_id in sorted(truth):
        with gzip.open(data / "html" / f"{page_id}.html.gz", "rb") as handle:
            bodies.append((truth[page_id].get("url") or f"https://example.org/{page_id}", handle.read()))
    html_bytes = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n in range(pages):
            url, body = bodies[n % len(bodies)]
            body = _edited(body, n // len(bodies))
            url = f"{url}{'&' if '?' in url else '?'}copy={n // len(bodies)}"
            date = f"2019-11-{1 + n % 28:02d}T12:00:00Z"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request,
                                                          warc_headers_dict={"WARC-Date": date}))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=http, warc_headers_dict={"WARC-Date": date}))
            html_bytes += len(body)
    tmp.replace(path)
    info = {"pages": pages, "records": 2 * pages, "html_mb": html_bytes / 1e6, "file_mb": path.stat().st_size / 1e6}
    path.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
    return info


_PARAGRAPH = re.compile(rb"<p[\s>].*?</p>", re.S | re.I)


def _edited(body: bytes, copy: int) -> bytes:
    """The page as its ``copy``-th reprint: one paragraph (a different one per copy) dropped."""
    paragraphs = list(_PARAGRAPH.finditer(body)) if copy else []
    if not paragraphs:
        return body
    cut = paragraphs[copy % len(paragraphs)]
    return body[:cut.start()] + body[cut.end():]


def scan(path: Path, out: Path, workers: int) -> dict:
    """``reprints scan`` of the archive in a fresh process: wall, CPU (children), peak RSS, summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("reprints")), "scan", str(path), "--out", str(out),
                    "--overwrite", "--workers", str(workers)], check=True, capture_output=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))["summary"]
    return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "peak_rss_mb": after.ru_maxrss / 1024, "summary": summary}


def parse_only(path: Path) -> float:
    from warcio.archiveiterator import ArchiveIterator

    started = time.process_time()
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            record.content_stream().read()
    return time.process_time() - started


def read_all(path: Path, workers: int) -> dict:
    from collections import Counter

    from reprints.config import ReadConfig
    from reprints.io.html import page_workers
    from reprints.io.readers import read_documents
    from reprints.records import Document

    started, wall = time.process_time(), time.perf_counter()
    docs, reasons = 0, Counter()
    with page_workers(workers):
        for item in read_documents(path, ReadConfig()):
            if isinstance(item, Document):
                docs += 1
            else:
                reasons[item.reason] += 1
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": time.process_time() - started + children.ru_utime + children.ru_stime,
            "wall_s": time.perf_counter() - wall, "documents": docs, "skips": dict(reasons),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_rss_mb": children.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--workers", type=int, default=1, help="extraction processes in pass 2 (as a scan's "
                        "engine.workers; 1: this process alone)")
    parser.add_argument("--scan", action="store_true", help="also scan the archive end to end (pass 3)")
    parser.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)  # the child process of pass 2
    args = parser.parse_args()
    if args.read_only:
        print(json.dumps(read_all(args.read_only, args.workers)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"crawl-{args.pages}-edited.warc.gz"
    info = json.loads(path.with_suffix(".json").read_text()) if path.exists() and path.with_suffix(".json").exists() \
        else build(args.data, path, args.pages)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()
    print(f"{path.name}: {info['records']:,} records, {info['pages']:,} pages, {info['file_mb']:.0f} MB gzip, "
          f"{info['html_mb']:.0f} MB HTML; git {commit}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    parse = parse_only(path)
    print(f"parse (warcio, bodies read): {parse:.1f} s CPU = {info['records'] / parse:,.0f} records/s, "
          f"{info['file_mb'] / parse:.0f} MB/s gzip, {info['html_mb'] / parse:.0f} MB/s HTML", flush=True)
    child = subprocess.run([sys.executable, __file__, "--read-only", str(path), "--workers", str(args.workers)],
                           capture_output=True, text=True, check=True)
    got = json.loads(child.stdout.strip().splitlines()[-1])
    cpu = got["cpu_s"]
    wall = got["wall_s"]
    print(f"read (reprints: parse, decode, extract, metadata; {args.workers} worker(s)): {cpu:.1f} s CPU, "
          f"{wall:.1f} s wall = {got['documents'] / cpu:.1f} pages per CPU-second, {got['documents'] / wall:.1f} "
          f"pages/s wall, {info['html_mb'] / wall:.2f} MB/s HTML wall ({info['file_mb'] / wall:.2f} MB/s gzip); "
          f"{got['documents']:,} documents, skips {got['skips']}; peak RSS {got['peak_rss_mb']:.0f} MB "
          f"(a worker: {got['worker_peak_rss_mb']:.0f} MB)", flush=True)
    if args.scan:
        got = scan(path, args.out / f"scan-{args.pages}", args.workers)
        summary = got["summary"]
        stages = ", ".join(f"{k} {v:.0f}" for k, v in summary["seconds_per_stage"].items())
        print(f"scan (reprints scan, {args.workers} worker(s)): {got['wall_s']:.0f} s wall, {got['cpu_s']:.0f} s CPU, "
              f"peak RSS {got['peak_rss_mb']:.0f} MB (largest process); stages (s): {stages}; "
              f"{summary['documents_read']:,} documents, web pages {summary.get('web_pages')}, "
              f"{summary['document_pairs']:,} pairs ({summary['exact_duplicate_pairs']:,} exact), "
              f"{summary['passages']:,} passages, {summary['clusters']:,} clusters, largest "
              f"{max(summary['cluster_sizes'] or [0]):,} spans", flush=True)


if __name__ == "__main__":
    main()
