"""Reuse in every script: tokens with exact offsets, and reprints found (and same-topic articles
not paired) in Chinese (Simplified origin, Traditional reprint), Japanese quoting English, Thai,
Korean, Arabic, Russian and Hindi.

The articles (tests/data/scripts_news.json, written for these tests by
scripts/make_scripts_fixture.py; every name invented) are, per language, an origin with a
shared passage inside other text, a reprint of the passage with a small edit inside other text,
and an unrelated article on the same topic that shares phrases but no passage.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

import reprints
from reprints.index.store import Index
from reprints.stages.normalise import tokenize

FIXTURE = Path(__file__).resolve().parent / "data" / "scripts_news.json"
LANGUAGES = json.loads(FIXTURE.read_text(encoding="utf-8"))
DOCS = [dict(d) for lang in LANGUAGES.values() for d in lang["docs"]]
TEXTS = {d["id"]: d["text"] for d in DOCS}


@pytest.fixture(scope="module")
def scanned():
    """One scan of every language's articles together (as a mixed collection would be)."""
    return reprints.scan([dict(d) for d in DOCS])


def _covered(passages: list[dict], side: str, doc: str, lo: int, hi: int) -> float:
    """Share of the characters of doc[lo:hi] inside a passage on ``side``."""
    inside = set()
    for p in passages:
        if p[f"doc_{side}"] == doc:
            inside.update(range(max(lo, p[f"begin_{side}"]), min(hi, p[f"end_{side}"])))
    return len(inside) / (hi - lo)


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_reprint_found_with_its_offsets_and_same_topic_article_not_paired(scanned, code, pairs_of):
    lang = LANGUAGES[code]
    origin, reprint, other = (f"{code}-origin", f"{code}-reprint", f"{code}-same-topic")
    pairs = pairs_of(scanned)
    assert frozenset((origin, reprint)) in pairs, f"{lang['name']}: the reprint is not paired with its origin"
    assert frozenset((origin, other)) not in pairs and frozenset((reprint, other)) not in pairs, (
        f"{lang['name']}: an unrelated article on the same topic was paired")
    passages = [p for p in scanned.passages.to_pylist() if {p["doc_a"], p["doc_b"]} == {origin, reprint}]
    assert len(passages) == 1, passages
    oriented = [dict(p) for p in passages]
    for p in oriented:  # side a is the origin
        if p["doc_a"] != origin:
            for key in ("doc", "begin", "end", "text"):
                p[f"{key}_a"], p[f"{key}_b"] = p[f"{key}_b"], p[f"{key}_a"]
    lo_a = TEXTS[origin].index(lang["shared_a"])
    lo_b = TEXTS[reprint].index(lang["shared_b"])
    # The shared passage is found almost whole (an edit at its very start may cut a word or two)...
    assert _covered(oriented, "a", origin, lo_a, lo_a + len(lang["shared_a"])) >= 0.9
    assert _covered(oriented, "b", reprint, lo_b, lo_b + len(lang["shared_b"])) >= 0.9
    # ... and nothing of the other text around it.
    for p in oriented:
        assert lo_a <= p["begin_a"] and p["end_a"] <= lo_a + len(lang["shared_a"]), p["text_a"]
        assert lo_b <= p["begin_b"] and p["end_b"] <= lo_b + len(lang["shared_b"]), p["text_b"]


def test_every_passage_and_cluster_span_is_the_text_at_its_offsets(scanned, assert_offsets):
    assert assert_offsets(scanned, TEXTS) == len(LANGUAGES)


def test_simplified_and_traditional_chinese_fold_alike_but_keep_their_own_characters():
    simplified = "国务院总理在人民大会堂会见了美国国务卿，双方就经济发展问题交换了意见。"
    traditional = "國務院總理在人民大會堂會見了美國國務卿，雙方就經濟發展問題交換了意見。"
    ts, tt = tokenize([simplified]), tokenize([traditional])
    assert ts.hashes.tolist() == tt.hashes.tolist()
    assert ts.begins.tolist() == tt.begins.tolist() and ts.ends.tolist() == tt.ends.tolist()
    assert "".join(traditional[b:e] for b, e in zip(tt.begins, tt.ends)) == traditional.replace("，", "").replace("。", "")


@pytest.mark.parametrize("plain, variant", [
    ("営業利益は5兆3529億円", "営業利益は５兆３５２９億円"),  # full-width digits
    ("ハイブリッド車の販売", "ﾊｲﾌﾞﾘｯﾄﾞ車の販売"),  # half-width katakana, voicing marks of their own
    ("Toyota", "Ｔｏｙｏｔａ"),  # full-width Latin
    ("तेजी से बढ़ने", "तेज़ी से बढ़ने"),  # a nukta (combining mark) inside a Devanagari word
    ("وزارة الصحة", "وزارة الصِّحَّة"),  # Arabic vowel marks
    ("שלום עולם", "שָׁלוֹם עוֹלָם"),  # Hebrew points
])
def test_width_and_marks_fold_alike(plain, variant):
    assert tokenize([plain]).hashes.tolist() == tokenize([variant]).hashes.tolist()


SCRIPT_SAMPLES = {
    "cyrillic": ("Центральный банк сохранил ставку.", ["Центральный", "банк", "сохранил", "ставку"]),
    "greek": ("Η κυβέρνηση ανακοίνωσε νέα μέτρα;", ["Η", "κυβέρνηση", "ανακοίνωσε", "νέα", "μέτρα"]),
    "arabic": ("أعلنت وزارةُ الصحةِ حملةً", ["أعلنت", "وزارةُ", "الصحةِ", "حملةً"]),
    "hebrew": ("הממשלה הודיעה היום", ["הממשלה", "הודיעה", "היום"]),
    "devanagari": ("मौसम विभाग ने कहा।", ["मौसम", "विभाग", "ने", "कहा"]),
    "hangul": ("한국은행은 기준금리를 동결했다.", ["한국은행은", "기준금리를", "동결했다"]),
    "thai marks stay with their letter": ("น้ำท่วม", None),
    "han beyond the BMP": ("𠮷野家の牛丼", None),
}


@pytest.mark.parametrize("name", sorted(SCRIPT_SAMPLES))
def test_tokens_of_every_script_are_whole_words_or_units_at_exact_offsets(name):
    text, words = SCRIPT_SAMPLES[name]
    t = tokenize([text])
    spans = [text[b:e] for b, e in zip(t.begins.tolist(), t.ends.tolist())]
    if words is not None:
        assert spans == words
    # Units cover every letter, in order, and never start with a combining mark.
    assert "".join(spans) == "".join(c for c in text if c.isalnum() or unicodedata.category(c)[0] == "M")
    assert all(unicodedata.category(s[0])[0] != "M" for s in spans), spans


def test_units_of_unspaced_scripts_end_where_the_script_changes():
    text = "東海自動車は2024年3月期の決算でEV販売が伸びたと発表"
    spans = [text[b:e] for b, e in zip(*(a.tolist() for a in (tokenize([text]).begins, tokenize([text]).ends)))]
    for unit in spans:
        kinds = {("digit" if c.isdigit() else "latin" if c.isascii() else
                  "hiragana" if "\u3041" <= c <= "\u309f" else "katakana" if "\u30a0" <= c <= "\u30ff" else "han")
                 for c in unit}
        assert len(kinds) == 1, (unit, spans)
    assert "2024" in spans and "EV" in spans


def test_thai_space_and_cjk_stops_end_sentences():
    t = tokenize(["ฝนตกหนักมาก ประชาชนควรระวัง", "経済は回復した。物価も上昇"])
    text_th = "ฝนตกหนักมาก ประชาชนควรระวัง"
    ends_th = [text_th[e - 1] for e, s in zip(t.ends[:t.doc_bounds[1]], t.sentence_end[:t.doc_bounds[1]]) if s]
    assert ends_th == ["ก", "ง"]  # after หนักมาก (a space between Thai letters) and at the end
    text_ja = "経済は回復した。物価も上昇"
    lo = t.doc_bounds[1]
    ends_ja = [text_ja[e - 1] for e, s in zip(t.ends[lo:], t.sentence_end[lo:]) if s]
    assert ends_ja == ["た", "昇"]


def test_index_query_finds_a_traditional_reprint_of_an_indexed_simplified_story(tmp_path):
    zh = LANGUAGES["zh"]
    with Index(tmp_path / "zh.duckdb") as index:
        index.add([dict(d) for d in zh["docs"] if not d["id"].endswith("reprint")])
        reprint = next(d["text"] for d in zh["docs"] if d["id"].endswith("reprint"))
        answer = index.query(reprint)
    assert [m["doc_id"] for m in answer["matches"]] == ["zh-origin"]
    for p in answer["matches"][0]["passages"]:
        assert reprint[p["begin"]:p["end"]] == p["text"]
        assert p["text"] in zh["shared_b"]


def test_report_word_differences_of_a_traditional_reprint_are_only_its_changed_words():
    from reprints.report.diff import tokens, word_diff

    zh = LANGUAGES["zh"]
    a, b = zh["shared_a"], zh["shared_b"]
    ops = word_diff(a, b)
    assert [(op, a[x:y], b[u:v]) for op, x, y, u, v in ops] == [("chg", "预期", "信心")]
    assert tokens("मौसम विभाग")[0] == ["मौसम", "विभाग"]  # a vowel sign does not split a Devanagari word
    thai, th_b, th_e = tokens("น้ำท่วม")
    assert all(unicodedata.category(w[0])[0] != "M" for w in thai)  # marks stay with their letter
    assert "".join(thai) == "น้ำท่วม" and [("น้ำท่วม")[b:e] for b, e in zip(th_b, th_e)] == thai


def test_recurring_japanese_footer_lines_are_boilerplate_not_reprints():
    """Short lines that recur in ten or more documents of one source are masked in every script:
    a footer of four Japanese lines (about 50 units, a passage's worth) pairs nothing."""
    footer = ("\n\n本記事の内容は執筆時点のものです。\n最新の情報は公式サイトでご確認ください。\n"
              "ご意見・ご感想は編集部までお寄せください。\n無断転載を禁じます。東京経済新聞社")
    docs = [dict(d, source="東京経済新聞", text=d["text"] + footer) for d in DOCS]
    result = reprints.scan(docs)
    reprint_pairs = {frozenset((f"{code}-origin", f"{code}-reprint")) for code in LANGUAGES}
    found = {frozenset(p) for p in zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist())}
    assert found == reprint_pairs
    texts = {d["id"]: d["text"] for d in docs}
    for p in result.passages.to_pylist():
        assert "無断転載" not in p["text_a"] and texts[p["doc_a"]][p["begin_a"]:p["end_a"]] == p["text_a"]
    # Without the boilerplate mask the footer alone pairs every document with every other.
    unmasked = reprints.scan(docs, config=reprints.ScanConfig().replace(boilerplate={"min_docs": 1000}))
    assert unmasked.pairs.num_rows > len(reprint_pairs) * 10
