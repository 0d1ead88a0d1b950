"""Boilerplate: short lines recurring in many documents of one source are masked."""

from __future__ import annotations

import numpy as np

import reprints
from reprints.config import BoilerplateConfig, ScanConfig
from reprints.stages.boilerplate import boilerplate_mask, frequent_keys, line_keys, unit_keys
from reprints.stages.normalise import string_key, tokenize

FOOTER = "Follow us on Twitter for more updates"

# Twelve short texts with no words in common apart from the footer.
BODIES = [
    f"story number {w} talks about {w}{k} matters only" for k, w in enumerate(
        ["apples", "bridges", "comets", "dunes", "engines", "forests",
         "glaciers", "harbours", "islands", "jungles", "kettles", "lanterns"])
]


def _mask_for(texts, sources, config=BoilerplateConfig()):
    t = tokenize(texts)
    src = np.array([string_key(s) for s in sources], dtype=np.uint64)
    freq = frequent_keys([line_keys(t, src, config)], config)
    return t, freq, boilerplate_mask(t, src, freq)


def _masked_words(texts, t, mask):
    out = []
    for d, text in enumerate(texts):
        lo, hi = t.doc_bounds[d], t.doc_bounds[d + 1]
        out.append([text[b:e] for b, e, m in zip(t.begins[lo:hi], t.ends[lo:hi], mask[lo:hi]) if m])
    return out


def test_footer_in_ten_documents_of_one_source_is_masked():
    texts = [f"{b}\n{FOOTER}" for b in BODIES[:10]]
    t, freq, mask = _mask_for(texts, ["Daily"] * 10)
    assert len(freq) == 1
    for got in _masked_words(texts, t, mask):
        assert got == FOOTER.split()


def test_nine_documents_are_not_enough():
    texts = [f"{b}\n{FOOTER}" for b in BODIES[:9]]
    _, freq, mask = _mask_for(texts, ["Daily"] * 9)
    assert len(freq) == 0 and not mask.any()


def test_counted_per_source():
    texts = [f"{b}\n{FOOTER}" for b in BODIES]
    sources = ["Daily"] * 6 + ["Weekly"] * 6
    _, freq, mask = _mask_for(texts, sources)
    assert len(freq) == 0 and not mask.any()


def test_line_counted_once_per_document():
    texts = [f"{FOOTER}\n{b}\n{FOOTER}\n{FOOTER}" for b in BODIES[:4]]
    _, freq, _ = _mask_for(texts, ["Daily"] * 4)
    assert len(freq) == 0


def test_long_lines_are_never_boilerplate():
    long_line = " ".join(f"word{k}" for k in range(70))  # longer than max_sentence_words too
    texts = [f"{b}\n{long_line}" for b in BODIES]
    _, freq, mask = _mask_for(texts, ["Daily"] * len(texts))
    assert len(freq) == 0 and not mask.any()


def test_line_key_ignores_case_and_punctuation_not_words():
    t = tokenize(["Follow us!\nfollow US", "follow them"])
    starts, keys, _, _ = unit_keys(t, np.zeros(2, np.uint64))
    assert starts.tolist() == [0, 2, 4]
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]


def test_scan_ignores_shared_footer_but_finds_real_reuse(assert_offsets, article_texts):
    """Twelve documents of one source that share only a footer make no pair; a real reprint
    between two of them is found and its passage does not run into the footer."""
    shared = article_texts["valley-post"]
    docs = [{"id": f"d{k}", "source": "Daily", "text": f"{b}\n{FOOTER}"} for k, b in enumerate(BODIES)]
    docs[0]["text"] = f"{BODIES[0]}\n{shared}\n{FOOTER}"
    docs[1]["text"] = f"{BODIES[1]}\n{shared}\n{FOOTER}"
    result = reprints.scan(docs, ScanConfig())
    assert result.summary["boilerplate_lines"] >= 1
    pairs = set(zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist()))
    assert pairs == {("d0", "d1")}
    for text in result.passages.column("text_a").to_pylist():
        assert "Twitter" not in text
    assert_offsets(result, {d["id"]: d["text"] for d in docs})


def test_documents_of_nothing_but_boilerplate_make_no_pair():
    """Two bodies that hold only the source's sign-off ("Reuter"), a boilerplate line, are
    too short to be duplicates (fewer words than one shingle): no pair, passage or cluster
    may rest on the sign-off alone. (Longer identical bodies made of templated lines are
    exact duplicates: see the Reuters test.)"""
    docs = [{"id": f"d{k}", "source": "Wire", "text": f"{b}\n Reuter"} for k, b in enumerate(BODIES)]
    docs += [{"id": "only-1", "source": "Wire", "text": "\n Reuter\n"},
             {"id": "only-2", "source": "Wire", "text": "REUTER"}]
    result = reprints.scan(docs)
    assert result.summary["boilerplate_lines"] >= 1
    assert result.pairs.num_rows == 0, result.pairs.to_pylist()
    assert result.passages.num_rows == 0, result.passages.column("text_a").to_pylist()
    assert result.clusters.num_rows == 0


def test_templated_sentences_with_other_figures_are_boilerplate():
    """A report template ("The selling concession is 1-1/4 pct ...") recurs with other numbers
    in every document of the source: its words are masked; the rest of each body is not."""
    figures = ["1-1/4", "3/4", "1-1/2", "5/8", "2", "1-3/8", "7/8", "1", "1-1/8", "3/8", "1-5/8", "0.5"]
    texts = [f"{b}. The selling concession is {f} pct while management and underwriting combined pays {f} pct."
             for b, f in zip(BODIES, figures)]
    t, freq, mask = _mask_for(texts, ["Wire"] * len(texts))
    assert len(freq) >= 1
    for d in range(len(texts)):
        lo, hi = t.doc_bounds[d], t.doc_bounds[d + 1]
        words = [texts[d][b:e] for b, e in zip(t.begins[lo:hi], t.ends[lo:hi])]
        masked = [w for w, m in zip(words, mask[lo:hi]) if m]
        assert "concession" in masked and "underwriting" in masked
        assert not {"story", "number", "talks", "matters"} & set(masked)


def test_batch_unit_keys_are_those_of_each_document_alone():
    """The vectorised (document, key) pairs of a batch equal each document keyed on its own
    (the Spark engine and the index count keys per document this way)."""
    from reprints.stages.boilerplate import doc_line_keys

    texts = [f"{b}\n{FOOTER}. Prices rose 5 pct to 12 dlrs a share in the quarter" for b in BODIES[:5]]
    texts += ["one line only", "", "Single-line document with no break"]
    sources = ["Daily", "Daily", "Wire", None, "Wire", "Daily", "Wire", None]
    src = np.array([string_key(s) for s in sources], dtype=np.uint64)
    config = BoilerplateConfig()
    docs, keys = doc_line_keys(tokenize(texts), src, config)
    for d, text in enumerate(texts):
        alone = line_keys(tokenize([text]), src[d:d + 1], config)
        assert sorted(keys[docs == d].tolist()) == sorted(alone.tolist())
    assert len(keys) > len(texts)


_AD = ("REVALESCIERE DU BARRY\nla farine de sante qui guerit sans medecine\nles mauvaises digestions gastrites\n"
       "constipations glaires vents aigreurs\nphlegmes nausees et vomissements\nmeme en grossesse diarrhee\n"
       "toux asthme phtisie et toutes maladies\ndu foie des nerfs et du sang\nen boites de une livre et de deux livres\n"
       "chez tous les bons epiciers et pharmaciens")


def test_recurring_advertisement_is_masked_unless_boilerplate_share_allows_it():
    """A paper runs the same advertisement (short OCR'd lines) in twelve issues: by default its
    lines are boilerplate; with ``max_share`` 0.5 a document that is mostly those lines is the
    advertisement itself, and its reprints pair up. A footer below a longer body stays masked."""
    docs = [{"id": f"ad{k:02d}", "source": "Gazette", "text": f"Annonce {w}.\n{_AD}"}
            for k, w in enumerate(["lundi", "mardi", "jeudi", "samedi", "avril", "mai", "juin", "juillet",
                                   "aout", "septembre", "octobre", "novembre"])]
    docs += [{"id": f"d{k}", "source": "Gazette", "text": f"{b} {b} {b}\n{FOOTER}"} for k, b in enumerate(BODIES)]
    default = reprints.scan(docs)
    assert not {a for a in default.pairs.column("doc_a").to_pylist() if a.startswith("ad")}
    shared = reprints.scan(docs, ScanConfig().replace(boilerplate={"max_share": 0.5}))
    pairs = set(zip(shared.pairs.column("doc_a").to_pylist(), shared.pairs.column("doc_b").to_pylist()))
    ad_pairs = {p for p in pairs if p[0].startswith("ad") and p[1].startswith("ad")}
    # Each issue is aligned with at most ten earlier issues sharing most, and the first
    # (candidates.max_sources): ad11's eleven earlier partners tie, so it keeps ad00-ad09 and
    # (ad10, ad11) is the one pair not aligned; the twelve issues are still one cluster.
    assert len(ad_pairs) == 12 * 11 // 2 - 1
    ad_clusters = {r["cluster_id"] for r in shared.clusters.to_pylist() if r["doc_id"].startswith("ad")}
    assert len(ad_clusters) == 1
    assert not {p for p in pairs if p[0].startswith("d")}, "the footer of longer bodies is still masked"
