"""The HTML report in a real headless Chromium: what a person sees and clicks."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest

import reprints
from reprints.report import write_report
from reprints.report.diff import word_diff

from reportkit import astral_rows, data_dir, scan_jsonl, synthetic_run, template_rows, xss_rows

HIGHLIGHTED = """([side, pid]) => Array.from(document.querySelectorAll('#text-' + side + ' [data-p~="' + pid + '"]'))
    .map(e => e.textContent).join('')"""
DIFF_TEXT = """([side, key]) => Array.from(document.querySelectorAll('#text-' + side + ' [data-d="' + key + '"]'))
    .map(e => e.classList.contains('caret') ? '' : e.textContent).join('')"""
DIFF_SHOWN = """key => Array.from(document.querySelectorAll('#sides [data-d="' + key + '"]'))
    .every(e => e.classList.contains('on') && (e.classList.contains('caret') ? getComputedStyle(e).display !== 'none'
      : getComputedStyle(e).textDecorationLine !== 'none'))"""
DIFF_COUNT = """([side, key]) => document.querySelectorAll('#text-' + side + ' [data-d="' + key + '"]').length"""


def rows(run, name):
    return pq.read_table(run / f"{name}.parquet").to_pylist()


def open_pair(rp, pid):
    rp.go(f"#/pair/{pid}")
    rp.page.wait_for_function("t => document.getElementById('pair-title')?.textContent === t", arg=f"Passage #{pid}")


def check_pair(rp, p):
    """The passage's highlighted text on both sides is text_a / text_b, and each word
    difference is marked over exactly its words."""
    open_pair(rp, p["passage_id"])
    pid = p["passage_id"]
    left = rp.eval("() => document.querySelector('#side-a .doc-id').textContent")
    sa, sb = ("a", "b") if left == p["doc_a"] else ("b", "a")
    assert rp.eval(HIGHLIGHTED, [sa, pid]) == p["text_a"]
    assert rp.eval(HIGHLIGHTED, [sb, pid]) == p["text_b"]
    ops = word_diff(p["text_a"], p["text_b"])
    for j, (op, a0, a1, b0, b1) in enumerate(ops):
        key = f"{pid}:{j}"
        assert rp.eval(DIFF_TEXT, [sa, key]) == p["text_a"][a0:a1], (op, key)
        assert rp.eval(DIFF_TEXT, [sb, key]) == p["text_b"][b0:b1], (op, key)
        assert rp.eval(DIFF_COUNT, [sa, key]) > 0 and rp.eval(DIFF_COUNT, [sb, key]) > 0
        assert rp.eval(DIFF_SHOWN, key), f"the differences of the selected passage {pid} are not marked"
    return ops


# --- pair view -------------------------------------------------------------------------------

def test_wire_pairs_highlight_exactly_the_passages(report_page, wire_run, wire_report):
    rp = report_page().open(wire_report)
    passages = rows(wire_run, "passages")
    edited = 0
    for p in passages:
        ops = check_pair(rp, p)
        if p["kind"] == "edited":
            assert ops, f"edited passage {p['passage_id']} shows no word differences"
            marks = rp.eval("() => document.querySelectorAll('#sides .d-chg, #sides .d-ins, #sides .d-del, #sides .caret').length")
            assert marks >= len(ops)
            edited += 1
    assert edited >= 2


def test_seeds_report(report_page, tmp_path):
    seeds = data_dir() / "seeds"
    if not seeds.exists():
        pytest.skip(f"real-data folder {seeds} is absent (set REPRINTS_DATA to the folder holding seeds/)")
    out = tmp_path / "run"
    reprints.scan(str(seeds), out=out)
    html = write_report(out, tmp_path / "seeds.html")
    passages = rows(out, "passages")
    assert passages
    rp = report_page().open(html)
    assert rp.eval("() => document.getElementById('texts-note')") is None
    for p in passages:
        check_pair(rp, p)


def test_astral_characters_offsets(report_page, tmp_path):
    out = scan_jsonl(tmp_path, "astral", astral_rows())
    passages = rows(out, "passages")
    assert any("🚢" in p["text_a"] for p in passages), "the passage should contain astral characters"
    rp = report_page().open(write_report(out, tmp_path / "astral.html"))
    diffs = 0
    for p in passages:
        diffs += len(check_pair(rp, p))
    assert diffs >= 3
    # The changed word after several astral characters is marked on the right word.
    changed = rp.eval("() => Array.from(document.querySelectorAll('#sides .d-chg')).map(e => e.textContent)")
    assert {"last", "final", "Sundays", "Saturdays"} <= set(changed)


def test_linked_scrolling(report_page, wire_run, wire_report):
    # The pair with two passages (an update reprinted by another outlet).
    passages = rows(wire_run, "passages")
    pair = {}
    for p in passages:
        pair.setdefault((p["doc_a"], p["doc_b"]), []).append(p)
    first = next(ps for ps in pair.values() if len(ps) > 1)[0]
    rp = report_page().open(wire_report, f"#/pair/{first['passage_id']}")
    # The view scrolls both panes to the passage in its first frame; their scroll events come in the next.
    rp.frames(2)
    before = rp.eval("() => document.getElementById('text-b').scrollTop")
    rp.eval("() => { const a = document.getElementById('text-a'); a.scrollTop = a.scrollHeight; }")
    rp.page.wait_for_function(f"() => Math.abs(document.getElementById('text-b').scrollTop - {before}) > 20")
    # Unlinked, the other side stays where it is: checked once the scroll of the left side has
    # been handled and the frame in which a linked right side follows it has run.
    rp.page.uncheck("#link-scroll")
    b_now = rp.eval("() => document.getElementById('text-b').scrollTop")
    assert rp.eval("() => document.getElementById('text-a').scrollTop") > 0
    rp.eval("""() => { const a = document.getElementById('text-a'); window.__scrolledA = false;
        a.addEventListener('scroll', () => requestAnimationFrame(() => { window.__scrolledA = true; }), { once: true });
        a.scrollTop = 0; }""")
    rp.page.wait_for_function("() => window.__scrolledA")
    assert rp.eval("() => document.getElementById('text-a').scrollTop") == 0
    assert rp.eval("() => document.getElementById('text-b').scrollTop") == b_now
    # Clicking a highlighted passage selects it.
    other = pair[(first["doc_a"], first["doc_b"])][1]["passage_id"]
    rp.page.locator(f'#text-a [data-p~="{other}"]').first.click()
    rp.page.wait_for_function("t => document.getElementById('pair-title').textContent === t", arg=f"Passage #{other}")


def test_pair_view_without_texts_shows_passages(report_page, tmp_path):
    out = scan_jsonl(tmp_path, "gone", astral_rows())
    (tmp_path / "gone.jsonl").unlink()
    html = write_report(out, tmp_path / "gone.html")
    rp = report_page().open(html)
    assert "not found" in rp.eval("() => document.getElementById('texts-note').textContent")
    for p in rows(out, "passages"):
        open_pair(rp, p["passage_id"])
        got = rp.eval("""pid => Array.from(document.querySelectorAll('[data-card="' + pid + '"] .doctext'))
            .map(pane => Array.from(pane.querySelectorAll('[data-p]')).map(e => e.textContent).join(''))""", p["passage_id"])
        assert got == [p["text_a"], p["text_b"]]
    assert rp.eval("() => document.querySelectorAll('.pcard .d-chg').length") > 0


def test_run_without_reprints(report_page, tmp_path):
    rows_ = [{"id": f"d{i}", "text": f"Entirely different note number {i} about {w}."}
             for i, w in enumerate(["apples", "boats", "clouds"])]
    out = scan_jsonl(tmp_path, "none", rows_)
    rp = report_page().open(write_report(out, tmp_path / "none.html"))
    assert "No cluster matches" in rp.eval("() => document.getElementById('main').textContent")
    for hash in ("#/clusters", "#/passages", "#/cluster/0", "#/pair/0"):
        rp.go(hash)
        assert rp.eval("() => document.querySelector('#main .empty')") is not None, hash


# --- overview, clusters, filters ---------------------------------------------------------------

def test_overview_and_cluster_view(report_page, wire_run, wire_report):
    rp = report_page().open(wire_report)
    clusters = rows(wire_run, "clusters")
    n_clusters = len({m["cluster_id"] for m in clusters})
    assert rp.eval("() => document.querySelectorAll('#size-chart rect.bar').length") == 8
    assert rp.eval("() => document.querySelectorAll('#timelines .trk').length") == n_clusters
    assert rp.eval("() => document.querySelectorAll('#timelines .tdot.origin').length") == n_clusters
    reprinted = rp.eval("() => document.querySelector('#reprinted-most .name').textContent")
    assert reprinted == "Northwire"  # the wire service originates every cluster
    assert rp.eval("() => document.querySelectorAll('#reprinting-most .name').length") >= 3
    # Cluster view: every member, origin first, with links to pair views.
    cid = clusters[0]["cluster_id"]
    rp.go(f"#/cluster/{cid}")
    rp.page.wait_for_selector("#members tbody tr")
    members = [m for m in clusters if m["cluster_id"] == cid]
    got = rp.eval("""() => Array.from(document.querySelectorAll('#members tbody tr')).map(tr => [
        tr.classList.contains('origin'), tr.querySelector('.doc-id').textContent, tr.cells[5].textContent])""")
    assert len(got) == len(members)
    assert got[0][0] and got[0][1] == next(m["doc_id"] for m in members if m["is_origin"])
    assert sorted((g[1], g[2]) for g in got) == sorted((m["doc_id"], m["snippet"]) for m in members)
    link = rp.eval("() => document.querySelector('#members .links a').getAttribute('href')")
    assert link.startswith("#/pair/")
    rp.page.click("#members .links a >> nth=0")
    rp.page.wait_for_selector("#text-a .psg")


def test_cluster_lineage_tree_opens_pairs_from_its_edges(report_page, wire_run, wire_report):
    """The cluster view draws who took it from whom: every member once, each under its
    source (clusters.parquet), with its date and outlet; an edge opens the pair view of the
    member and its source."""
    rp = report_page().open(wire_report)
    clusters = rows(wire_run, "clusters")
    cid = clusters[0]["cluster_id"]
    members = [m for m in clusters if m["cluster_id"] == cid]
    rp.go(f"#/cluster/{cid}")
    rp.page.wait_for_selector("#lineage li")
    got = rp.eval("""() => Array.from(document.querySelectorAll('#lineage li')).map(li => {
        const parent = li.parentElement.closest('li');
        return [li.querySelector('.doc-id').textContent,
                parent ? parent.querySelector('.doc-id').textContent : null,
                li.querySelector(':scope > a.edge') !== null];
    })""")
    assert sorted(g[0] for g in got) == sorted(m["doc_id"] for m in members)
    want = {m["doc_id"]: m["source_doc_id"] for m in members}
    assert all(parent == want[doc] for doc, parent, _ in got)
    assert sum(1 for g in got if g[2]) == sum(1 for m in members if m["source_doc_id"]) > 0
    rp.page.click("#lineage a.edge >> nth=0")
    rp.page.wait_for_selector("#text-a .psg")


def visible_clusters(rp):
    rp.go("#/clusters")
    return rp.eval("() => Array.from(document.querySelectorAll('#cluster-list .row')).map(r => Number(r.dataset.cluster))")


def visible_passages(rp):
    rp.go("#/passages")
    return rp.eval("() => Array.from(document.querySelectorAll('#passage-list .row')).map(r => Number(r.dataset.passage))")


def wait_filtered(rp):
    rp.filtered()  # the filters are debounced


def test_filters(report_page, wire_run, wire_report):
    rp = report_page().open(wire_report)
    clusters = rows(wire_run, "clusters")
    passages = rows(wire_run, "passages")
    docs = {d["doc_id"]: d for d in rows(wire_run, "documents")}
    all_ids = sorted({m["cluster_id"] for m in clusters})
    assert sorted(visible_clusters(rp)) == all_ids

    # Source: clusters with a member from the source; passages with a side from it.
    rp.page.select_option("#f-source", label="Valley Courier")
    wait_filtered(rp)
    want = sorted({m["cluster_id"] for m in clusters if m["source"] == "Valley Courier"})
    assert want and len(want) < len(all_ids)
    assert sorted(visible_clusters(rp)) == want
    want_p = sorted(p["passage_id"] for p in passages
                    if "Valley Courier" in (docs[p["doc_a"]]["source"], docs[p["doc_b"]]["source"]))
    assert sorted(visible_passages(rp)) == want_p
    rp.page.click("#f-reset")
    wait_filtered(rp)

    # Date range: clusters with a member dated inside it.
    rp.page.fill("#f-from", "2024-03-07")
    rp.page.fill("#f-to", "2024-03-07")
    wait_filtered(rp)
    want = sorted({m["cluster_id"] for m in clusters if m["date"] == "2024-03-07"})
    assert want and sorted(visible_clusters(rp)) == want
    rp.page.fill("#f-from", "2030-01-01")
    rp.page.fill("#f-to", "")
    wait_filtered(rp)
    assert visible_clusters(rp) == []
    assert "No cluster matches" in rp.eval("() => document.getElementById('main').textContent")
    rp.page.click("#f-reset")
    wait_filtered(rp)

    # Minimum passage length.
    words = sorted(p["matched_words"] for p in passages)
    limit = words[len(words) // 2]
    rp.page.fill("#f-words", str(limit))
    wait_filtered(rp)
    assert sorted(visible_passages(rp)) == sorted(p["passage_id"] for p in passages if p["matched_words"] >= limit)
    count = rp.eval("() => document.getElementById('f-count').textContent")
    assert f"of {len(passages)} passages" in count
    rp.page.click("#f-reset")
    wait_filtered(rp)

    # Search by document id.
    rp.page.fill("#f-q", "ml-rate")
    wait_filtered(rp)
    want = sorted({m["cluster_id"] for m in clusters if m["doc_id"].startswith("ml-rate")})
    assert want and sorted(visible_clusters(rp)) == want


def test_template_pairs_are_listed_apart_and_open(report_page, tmp_path):
    """Template pairs (filled-in forms) have their own tab and count; the passage list holds
    the reprints only; a template pair's view opens with its passages highlighted exactly."""
    run = scan_jsonl(tmp_path, "forms", template_rows())
    passages = rows(run, "passages")
    templates = sorted(p["passage_id"] for p in passages if p["kind"] == "template")
    reprinted = sorted(p["passage_id"] for p in passages if p["kind"] != "template")
    assert len(templates) == 2 and len(reprinted) == 1
    rp = report_page().open(write_report(run, tmp_path / "forms.html"))
    assert rp.eval("() => document.querySelector('#template-card .n').textContent") == "2"
    assert "1reprint pairs" in rp.eval("() => document.querySelector('.cards').textContent")
    assert rp.eval("() => document.querySelector('nav.tabs a[href=\"#/templates\"]').textContent") == "Templates (2 pairs)"
    assert "1 of 1 passage, 2 of 2 template passages" in rp.eval("() => document.getElementById('f-count').textContent")
    assert sorted(visible_passages(rp)) == reprinted
    rp.page.click("nav.tabs a[href='#/templates']")
    rp.page.wait_for_selector("#template-list .row")
    got = rp.eval("() => Array.from(document.querySelectorAll('#template-list .row')).map(r => Number(r.dataset.passage))")
    assert sorted(got) == templates
    assert rp.eval("() => document.getElementById('templates-note') !== null")
    rp.page.click("#template-list .row >> nth=0")
    rp.page.wait_for_selector("#template-pair-note")
    check_pair(rp, next(p for p in passages if p["passage_id"] == got[0]))
    assert rp.eval("() => document.querySelector('#main a[href=\"#/templates\"]') !== null")
    # a reprint's pair view says nothing of templates
    check_pair(rp, next(p for p in passages if p["passage_id"] == reprinted[0]))
    assert rp.eval("() => document.getElementById('template-pair-note')") is None


# --- security --------------------------------------------------------------------------------

# Elements that could run script after they are shown (an image's error, a frame's load, an
# inline handler): the report must have none.
ACTIVE_CONTENT = """() => Array.from(document.querySelectorAll('*')).filter(e =>
    /^(img|iframe|frame|object|embed|video|audio)$/i.test(e.tagName)
    || Array.from(e.attributes).some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 120))"""


def test_hostile_text_renders_as_text_and_runs_nothing(report_page, tmp_path):
    out = scan_jsonl(tmp_path, "xss", xss_rows())
    passages = rows(out, "passages")
    assert passages, "the hostile articles should share a passage"
    html = write_report(out, tmp_path / "xss.html")
    rp = report_page().open(html)
    pid = passages[0]["passage_id"]
    for hash in ("#/", "#/clusters", "#/passages", "#/cluster/0", f"#/pair/{pid}"):
        rp.go(hash).frames(2)  # rendered, and what it queued for its next frames done
        # nothing in the view could run a payload later (an image's error, a frame's load)
        assert rp.eval(ACTIVE_CONTENT) == [], f"active content on {hash}"
        # hover and click over everything the view shows, as a curious reader would
        for sel in ("#main .row", "#main .doctext", "#main .dochead", "#main td", "#main .name"):
            loc = rp.page.locator(sel)
            for i in range(min(loc.count(), 6)):
                loc.nth(i).hover()
        rp.frames(2)
        assert rp.eval("() => window.__pwned") is None, f"payload ran on {hash}"
    assert rp.dialogs == []
    assert rp.eval("() => document.querySelectorAll('img, svg[onload], iframe, object, embed').length") == 0
    assert rp.eval("() => document.scripts.length") == 2
    assert rp.eval("() => Array.from(document.querySelectorAll('a[href]')).filter(a => !/^(#|https?:)/.test(a.getAttribute('href'))).length") == 0
    # The payloads are there, as text.
    text = rp.eval("() => document.getElementById('main').textContent")
    assert "<script>window.__pwned = 1" in text and "onerror=" in text and "</script><script>" in text
    head = rp.eval("() => document.querySelector('#side-a .dochead').textContent")
    assert "<script>window.__pwned = 7</script>" in head and "javascript:window.__pwned = 5" in head
    check_pair(rp, passages[0])
    # The javascript: URL is shown but is not a link; the https one is.
    hrefs = rp.eval("() => Array.from(document.querySelectorAll('.dochead a')).map(a => a.href)")
    assert hrefs == ["https://example.org/a?%3Cb%3E"]


# --- scale -----------------------------------------------------------------------------------
# How fast the report builds, opens, scrolls and filters is measured by
# benchmarks/bench_report.py; this test checks what a reader gets, whatever the machine's speed.

ROWS_COVER_VIEW = """() => { const l = document.getElementById('cluster-list'), box = l.getBoundingClientRect();
  const rows = Array.from(l.querySelectorAll('.row')).map(r => r.getBoundingClientRect());
  return rows.some(r => r.top <= box.top + 1 && r.bottom > box.top)
    && (rows.some(r => r.top < box.bottom && r.bottom >= box.bottom - 1)
        || l.scrollTop >= l.scrollHeight - l.clientHeight - 1); }"""


def test_ten_thousand_clusters_open_and_scroll(report_page, tmp_path):
    run = synthetic_run(tmp_path, n_clusters=10_000)
    html = write_report(run, tmp_path / "big.html")
    rp = report_page().open(html)
    ready = rp.eval("() => window.__reportReady")
    assert ready["clusters"] == 10_000

    rp.go("#/clusters")
    rp.page.wait_for_selector("#cluster-list .row")
    steps = 40
    for i in range(1, steps + 1):
        rp.eval("f => { const l = document.getElementById('cluster-list'); l.scrollTop = f * (l.scrollHeight - l.clientHeight); }", i / steps)
        rp.page.wait_for_function(ROWS_COVER_VIEW)  # the rows in view are built
        assert rp.eval("() => document.querySelectorAll('#cluster-list .row').length") < 100, \
            "the cluster list must only build the rows in view"
    last = rp.eval("() => Array.from(document.querySelectorAll('#cluster-list .row')).map(r => Number(r.dataset.cluster))")
    assert 9_999 in last, "scrolled to the end, the last cluster is shown"

    # Filters work over everything.
    rp.page.select_option("#f-source", label="Outlet 007")
    rp.filtered()
    count = rp.eval("() => document.getElementById('f-count').textContent")
    assert re.fullmatch(r"showing [0-9,]+ of 10,000 clusters, [0-9,]+ of [0-9,]+ passages", count), count
    assert not count.startswith("showing 10,000")
    rp.go("#/")
    rp.page.wait_for_selector("#size-chart rect.bar")
    rp.go("#/cluster/0")
    rp.page.wait_for_selector("#members tbody tr")
    assert rp.eval("() => document.querySelectorAll('#members tbody tr').length") == 100
    rp.page.click("#more-members")
    assert rp.eval("() => document.querySelectorAll('#members tbody tr').length") == 150
    assert rp.eval("() => document.getElementById('more-members').hidden")
    pid = rp.eval("() => document.querySelector('#members .links a').getAttribute('href')").split("/")[-1]
    open_pair(rp, pid)
