"""The at-a-glance summary of a scan, for a terminal (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


def _size_histogram(sizes: list[int]) -> Table:
    buckets = [(2, 2), (3, 3), (4, 5), (6, 10), (11, 50), (51, 10**12)]
    table = Table(title="clusters by size (member spans)", show_header=True, box=None, pad_edge=False)
    table.add_column("size", justify="right")
    table.add_column("clusters", justify="right")
    table.add_column("")
    counts = [sum(1 for s in sizes if lo <= s <= hi) for lo, hi in buckets]
    peak = max(counts) if counts and max(counts) else 1
    for (lo, hi), count in zip(buckets, counts):
        label = str(lo) if lo == hi else (f"{lo}+" if hi > 10**9 else f"{lo}–{hi}")
        table.add_row(label, f"{count:,}", "█" * max(1 if count else 0, round(30 * count / peak)))
    return table


def counts_grid(rows: list[tuple[str, str]]) -> Table:
    """Label / value rows; values are Text: paths and reasons are shown as written, never read as markup."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="bold")
    grid.add_column()
    for key, value in rows:
        grid.add_row(key, Text(value))
    return grid


def skipped_parts(summary: dict[str, Any]) -> list[Any]:
    """The skipped-input table (count per reason) and the first few skips, if any."""
    if not summary["skip_reasons"]:
        return []
    skips = Table(title="skipped input", box=None, show_header=True, pad_edge=False)
    skips.add_column("count", justify="right")
    skips.add_column("reason")
    for reason, count in sorted(summary["skip_reasons"].items(), key=lambda kv: -kv[1]):
        skips.add_row(f"{count:,}", Text(reason))
    return [Text(""), skips] + [Text(f"  {item['input']}: {item['reason']}", style="dim")
                                for item in summary["skipped"][:5]]


def _web_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """A row for the web pages a run extracted, if it read any."""
    pages = summary.get("web_pages")
    if not pages:
        return []
    return [("web pages", f"{pages['extracted']:,} extracted: {pages['documents']:,} documents, "
                          f"{pages['skipped']:,} skipped; extraction {pages['extraction_cpu_seconds']:.1f} CPU-s")]


def render(summary: dict[str, Any], out: str | None = None) -> Group:
    rows = [
        ("documents read", f"{summary['documents_read']:,}  ({summary['characters']:,} characters)"),
        ("skipped", f"{summary['documents_skipped']:,}"),
        *_web_rows(summary),
        ("with warnings", f"{summary['documents_with_warnings']:,}"),
        ("boilerplate lines", f"{summary['boilerplate_lines']:,}"),
        ("candidate pairs", f"{summary['candidate_pairs']:,}"),
        ("document pairs", f"{summary['document_pairs'] - summary.get('template_pairs', 0):,} reprints  "
                           f"({summary['exact_duplicate_pairs']:,} exact duplicates)"),
        ("template pairs", f"{summary.get('template_pairs', 0):,}  (filled-in forms with other names, figures or "
                           "dates; kind \"template\", not in clusters)"),
        ("passages", f"{summary['passages']:,}  " + ", ".join(f"{v:,} {k}" for k, v in sorted(summary["passage_kinds"].items()))),
        ("clusters", f"{summary['clusters']:,}"),
        ("time", f"{summary['seconds']:.1f} s  (" + ", ".join(
            f"{k} {v:.1f}" for k, v in summary["seconds_per_stage"].items()) + ")"),
    ]
    if out:
        rows.append(("written to", out))
    parts: list[Any] = [counts_grid(rows), *skipped_parts(summary)]
    if summary["cluster_sizes"]:
        parts.append(Text(""))
        parts.append(_size_histogram(summary["cluster_sizes"]))
    if summary["largest_clusters"]:
        parts.append(Text(""))
        parts.append(Text("largest clusters", style="italic"))
        for c in summary["largest_clusters"]:
            line = Text(f"#{c['cluster_id']:<4}", style="bold")
            line.append(f"{c['documents']} docs, {c['members']} spans, origin ")
            line.append(c["origin"], style="cyan")
            if c["date"]:
                line.append(f" ({c['date']})")
            parts.append(line)
            parts.append(Text(f"      {c['snippet']}", style="dim", overflow="ellipsis", no_wrap=True))
    return Group(Panel(Group(*parts), title="reprints scan", expand=False))


def print_summary(summary: dict[str, Any], out: str | None = None, console: Console | None = None) -> None:
    (console or Console()).print(render(summary, out))
