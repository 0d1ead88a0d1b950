"""Configuration: one dataclass per stage, each field with its default and the reason for it.

A `ScanConfig` gathers them; `run.json` records it so that any run can be repeated
(``reprints scan --config run.json``). Every value is checked when a configuration is built:
a wrong type, an unknown choice or a number out of range raises `ConfigError` naming the field
and what it allows. The limits live beside each default, in ``setting(...)``; the command line
takes its defaults, help and checks from here (``cli_options``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


#: Index queries: how many matching documents an answer holds unless told otherwise
#: (``Index.query(limit=...)``, ``--limit``, the HTTP ``limit``), and the most a caller may ask
#: for: each one is an alignment.
QUERY_LIMIT = 10
MAX_QUERY_LIMIT = 1000

class ConfigError(ValueError):
    """A configuration value that is not allowed; the message names the field."""


def setting(default: Any, help: str = "", *, choices: tuple[str, ...] | None = None,
            min: float | None = None, max: float | None = None, empty: bool = False) -> Any:
    """A configuration field: its default, a one-line help for the command line, and its limits
    (``empty``: a string field may be "", which means off)."""
    return field(default=default, metadata={"help": help, "choices": choices, "min": min, "max": max,
                                            "empty": empty})


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class Checked:
    """Checks every field against its type and `setting` limits when the dataclass is built."""

    SECTION = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            name = f"{self.SECTION}.{f.name}"
            kind = _TYPES.get(str(f.type))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                object.__setattr__(self, f.name, value)
            if kind is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
                raise ConfigError(f"{name} must be {f.type}, not {value!r}")
            meta = f.metadata
            if meta.get("choices") and value not in meta["choices"]:
                raise ConfigError(f"{name} must be one of {', '.join(meta['choices'])}, not {value!r}")
            if kind is str and not meta.get("choices") and not value and not meta.get("empty"):
                raise ConfigError(f"{name} must not be empty")
            low, high = meta.get("min"), meta.get("max")
            if low is not None and value < low or high is not None and value > high:
                bounds = (f"between {low:g} and {high:g}" if low is not None and high is not None
                          else f"at least {low:g}" if low is not None else f"at most {high:g}")
                raise ConfigError(f"{name} must be {bounds}, not {value!r}")
        self._check()

    def _check(self) -> None:
        """Rules between fields, where a stage has any."""


@dataclass(frozen=True)
class ReadConfig(Checked):
    """How rows of tabular inputs are mapped to documents."""

    SECTION = "read"

    id_field: str = setting("id", "Field holding the document id in tabular inputs.")
    text_field: str = setting("text", "Field holding the text.")
    source_field: str = setting("source", "Field holding the outlet / series.")
    date_field: str = setting("date", "Field holding the date (ISO 8601 preferred).")
    # Rows whose page is HTML: the text is the page's extracted main text (io/html.py).
    html_field: str = setting("", "Field holding a web page's HTML: its main text is extracted and read as the "
                              "text (instead of --text-field); empty: off.", empty=True)
    # Documents longer than this many code points are skipped with a reason: 50 M is far
    # beyond any article, and such a "document" is almost always a mis-read file.
    max_chars: int = setting(50_000_000, "Longest document read, in code points.", min=1)


@dataclass(frozen=True)
class BoilerplateConfig(Checked):
    """Lines that recur across many documents of one source are site chrome, not reprints."""

    SECTION = "boilerplate"

    # A normalised line seen in at least this many documents of one source is boilerplate.
    # Ten keeps real reprint series (a story and a handful of its updates) intact while
    # catching headers, footers and sign-offs, which recur in hundreds of documents.
    min_docs: int = setting(10, min=2)
    # Only lines of at most this many words can be boilerplate: chrome is short, and long
    # recurring lines are more likely a genuinely re-used paragraph.
    max_words: int = setting(25, min=1)
    # Sentences count with their numbers made alike, so templated reports ("Qtly div 10 cts
    # vs 10 cts prior", bond terms, market reports) are found; from one shingle's length (a
    # three-word "He said." recurs everywhere and means nothing) up to this many words.
    min_sentence_words: int = setting(5, min=1)
    max_sentence_words: int = setting(60, min=1)
    # Where recurring lines would cover more than this share of a document's words, they are
    # its text, not what surrounds it, and nothing in it is masked: an advertisement or notice
    # a paper runs again and again, OCR'd as a column of short lines. 1 (the default) masks them
    # always: templated wire copy (dividend notices, market reports) is mostly recurring lines
    # too. Measured (RESULTS.md): 0.5 pairs 49 % more of passim's same-cluster passages on
    # impresso 1900 (ARI 0.385 -> 0.493) and adds 137 Reuters pairs, mostly templates.
    max_share: float = setting(
        1.0, "Mask recurring lines only in documents where they cover at most this share of the words "
        "(0.5 for OCR'd newspapers whose advertisements and notices recur; 1: always).", min=0.0, max=1.0)

    def _check(self) -> None:
        if self.max_sentence_words < self.min_sentence_words:
            raise ConfigError(f"boilerplate.max_sentence_words ({self.max_sentence_words}) must be at least "
                              f"boilerplate.min_sentence_words ({self.min_sentence_words})")


@dataclass(frozen=True)
class ShingleConfig(Checked):
    """Word n-grams hashed from normalised tokens (case-folded, accents stripped)."""

    SECTION = "shingle"

    # Five-word shingles: long enough that chance matches between unrelated news text are
    # rare, short enough that edited passages (a word changed every ~10 words) keep matches.
    ngram: int = setting(5, min=1, max=50)


@dataclass(frozen=True)
class CandidateConfig(Checked):
    """Which document pairs are worth aligning, from n-gram postings."""

    SECTION = "candidates"

    # N-grams found in more documents than this are ignored when pairing (passim's
    # document-frequency cap): they are formulas, boilerplate or quotes everyone prints, and
    # a posting of size k costs k^2/2 pairs.
    max_df: int = setting(100, "Ignore n-grams found in more documents than this (at least 2: a pair needs one).", min=2)
    # A pair is aligned only if it shares at least this many n-grams (passim's default
    # min-match). A 40-word verbatim passage shares 36, an edited one with a word changed in
    # every ten still about 16; pairs sharing only a few are templated phrasing ("the
    # selling concession is … pct"), and aligning them is most of the cost of a scan.
    min_shared: int = setting(5, min=1)
    # N-grams in more documents than this count as common phrasing for the formula test
    # (`PairConfig.formula_share`): a story and a few of its reprints stay below it.
    common_df: int = setting(10, min=1)
    # An n-gram in more than ``max_df`` documents is not thrown away: each holder (in date
    # order) is linked to this many holders just before it and to the first holder, so a story
    # carried by thousands of outlets still pairs each carrier with its neighbours and the
    # origin, in O(carriers) pairs; a formula's few n-grams link other neighbours each and stay
    # below ``min_shared``. 0: frequent n-grams are ignored (passim's behaviour).
    frequent_links: int = setting(3, min=0, max=50)
    # A pair linked by frequent n-grams is a candidate when at least this many link it: a run
    # of 34 words or more (a carried story shares hundreds; a formula sentence and a sign-off
    # that many documents print, such as "said in a statement on Monday that ...", fewer).
    frequent_min_shared: int = setting(30, min=1)
    # Each document keeps, among its candidate partners dated before it, the ones sharing most
    # n-grams (its likely sources) up to this many, and the earliest (its likely origin): a
    # cluster of N carriers is aligned in O(N) pairs, not N²/2. 0: every candidate pair.
    max_sources: int = setting(10, min=0)


@dataclass(frozen=True)
class AlignConfig(Checked):
    """Passage alignment between two documents (one implementation, used by every engine)."""

    SECTION = "align"

    # Seeds are matches of this many consecutive normalised words. Three words survive
    # edits (one changed word breaks only the three seeds that contain it).
    seed_ngram: int = setting(3, min=1, max=50)
    # Seeds whose word n-gram occurs more often than this in either document are dropped:
    # repeated phrases would otherwise tie every occurrence to every other.
    max_seed_repeats: int = setting(4, min=1)
    # Seeds further apart than this many words, in either document, start a new passage.
    # A sentence inserted or dropped inside a passage (up to ~20 words) does not split it.
    max_gap: int = setting(20, min=0)
    # A passage must cover at least this many matched words in each document.
    min_words: int = setting(20, "Minimum matched words for a passage (in scripts without spaces: units of about a word's worth of text, docs/scripts.md).", min=1)
    # Share of a passage's words covered by seeds; below it the "passage" is a scatter of
    # common phrases rather than reuse.
    min_density: float = setting(0.4, min=0.0, max=1.0)
    # Sentence-level similarity for re-worded reuse: "off"; "related" (default: only for
    # pairs that already share a word-level passage, so the verbatim path costs nothing
    # more on unrelated pairs); or "all" (every pair, as in PAN evaluation of given pairs).
    paraphrase: str = setting("related", "Sentence-level (re-worded) matching: off, related (pairs that already "
                              "share a passage) or all (every candidate pair).", choices=("off", "related", "all"))
    # Two sentences are a paraphrase seed when the weighted cosine and the Dice coefficient
    # of their content-word stems both reach these (Sanchez-Perez et al., PAN 2014, use 0.33).
    sentence_cosine: float = setting(0.5, min=0.0, max=1.0)
    sentence_dice: float = setting(0.4, min=0.0, max=1.0)
    # ... and they share at least this many content-word stems.
    sentence_min_shared: int = setting(2, min=1)
    # A passage made of one similar sentence pair and nothing else needs this cosine: one
    # sentence on a shared topic is weak evidence; several in a row are strong.
    single_sentence_cosine: float = setting(0.5, min=0.0, max=1.0)
    # Next to a sentence seed, a gap of up to this many words does not split a passage:
    # summaries and rewrites skip or merge whole sentences.
    max_sentence_gap: int = setting(60, min=0)
    # Merge passages that share one stretch of A but lie apart in B into one summary passage
    # (each summary sentence condenses a different part of the source). Off in a scan, which
    # reports each reprinted piece on its own; on in the plagiarism profile.
    summaries: bool = False
    # ... when at least this many re-worded parts of B meet in one stretch of A (two could be
    # chance; three in a row, each condensing a different part, is how summaries look) ...
    summary_min_parts: int = setting(3, min=1)
    # ... and they span at least this many times more words of B than of A.
    summary_ratio: float = setting(2.0, min=0.0)
    # A summary condenses its whole source: a passage whose B side is at least
    # ``summary_length_ratio`` times as long as its A side (in words) and spans at least this
    # share of B's words has all of B as its source. 0 = off (a scan); on in the plagiarism profile.
    summary_source: float = setting(0.0, min=0.0, max=1.0)
    summary_length_ratio: float = setting(3.0, min=0.0)
    # Grow passages (paraphrase mode) by whole neighbouring sentences, one in A and one in B
    # at a time, while the two are this alike (stem cosine; 0 = off). Next to a passage, a
    # sentence pair far below seed similarity is still the same reuse: the boundary
    # sentences of a translated or obfuscated passage. Off in a scan; 0.15 in the
    # plagiarism profile.
    extend_cosine: float = setting(0.0, min=0.0, max=1.0)
    # Keep a stray-looking end run of a re-worded passage (one not copied word for word)
    # when it holds a sentence seed: a similar sentence just past a gap is the passage's own
    # first or last sentence, re-worded, more often than a chance match. Off in a scan, where
    # trimming keeps topical sentences from stretching a passage; on in the plagiarism profile.
    keep_sentence_ends: bool = False
    # Passages overlapping in A: "keep" every one (a scan reports each rendering), or
    # "best", only the one with most matched words (plagiarism detection's one source); "best"
    # also credits each stretch of B once: a passage overlapping a kept one in B is clipped
    # to its free end or dropped (a footer or quote repeated in A is one reuse).
    overlaps: str = setting("keep", choices=("keep", "best"))


def plagiarism_profile(base: AlignConfig | None = None) -> AlignConfig:
    """Alignment settings for given suspicious/source pairs (PAN text alignment).

    A scan mines pairs from a whole collection, where most candidates are unrelated and a
    re-worded sentence pair is weak evidence; a plagiarism check is handed pairs already
    suspected, so sentence similarity may count from PAN's usual 0.33, every pair gets the
    sentence-level pass, pieces of one suspicious stretch spread over the source make one
    summary passage (its source the whole document when it spans most of it), re-worded
    passages grow by loosely similar neighbouring sentences and keep sentence-seeded ends, and
    each suspicious passage is credited to one source passage, each source stretch once.
    Every value was chosen on one half of the PAN 2013 training corpus (fold 0) and checked on
    the other (benchmarks/RESULTS.md).
    """
    return dataclasses.replace(base or AlignConfig(), paraphrase="all", sentence_cosine=0.33,
                               sentence_dice=0.33, overlaps="best", summaries=True,
                               extend_cosine=0.15, summary_source=0.4,
                               keep_sentence_ends=True)


@dataclass(frozen=True)
class PairConfig(Checked):
    """Which document pairs are reported."""

    SECTION = "pairs"

    # Pairs without an aligned passage are still reported when their n-gram Jaccard reaches
    # this: near-duplicate documents that are too short for a passage (wire briefs, notices).
    near_duplicate_jaccard: float = setting(0.8, min=0.0, max=1.0)
    # Formula text: two different bond issues or market reports share a template, not a story.
    # A pair is formula text when at least this share of the n-grams it shares are common
    # (in more than `CandidateConfig.common_df` documents), every passage its words make is
    # edited below `formula_similarity`, and fewer than `formula_near_miss` of the words that
    # differ are near-misses of each other (OCR errors and typos are; the figures and names
    # that fill a template are not). Its passages are dropped. 0 turns the test off.
    # Measured (benchmarks/RESULTS.md): on Reuters it drops 31 of 55 pairs judged formula and no
    # pair judged a reprint; near-miss shares are ≤ 0.07 for 90 % of formula passages and ≥ 0.2
    # for 90 % of OCR-noisy newspaper reprints below that similarity (impresso 1900).
    formula_share: float = setting(0.5, min=0.0, max=1.0)
    formula_similarity: float = setting(0.85, min=0.0, max=1.0)
    formula_near_miss: float = setting(0.15, min=0.0, max=1.0)
    # A pair with that share of common n-grams whose passages cover less than this share of
    # each document is a template too, whatever its passages' similarity (`formula.common_phrasing`):
    # each document is mostly its own, and they share phrasing many documents use. 0 turns it
    # off. Measured: benchmarks/RESULTS.md ("Issue 14: templates to 0.85").
    formula_cover: float = setting(0.5, min=0.0, max=1.0)
    # Other figures in the same words (any pair): when at least this many numbers of a pair's
    # passages are aligned against other numbers, no fewer than the numbers that match and no
    # fewer than the other words that differ, the pair is a template filled in with other
    # figures (weekly reports, bond terms, dividend notices) and its passages are dropped.
    # Reprints keep their facts; updates and corrections change a few numbers among many; OCR
    # noise changes words as much as numbers. 0 turns the test off. Measured (RESULTS.md):
    # Reuters 527 pairs dropped, 13 of the 42 judged formula, none of the 159 judged reprints;
    # impresso 1900, 71 of the 21,306 pairs reprints made inside one passim cluster.
    figures_differ: int = setting(2, min=0)
    # Other names, figures and dates in the same prose (any pair whose passages cover at least
    # `template_coverage` of each document; `stages.formula.classify`). Slot words are numbers,
    # dates and capitalised names. Inside its passages (`other_fillers`): at least
    # `template_slots` slot words differ, they are at least `template_slot_share` of the words
    # that differ and at least half the slot words the two sides share. Or over the two whole
    # documents, when short (`other_content`): the same two counts, and fewer than
    # `template_names_shared` of the distinct slot words of one are in the other. Either way the
    # differing words must not be near-misses of each other (`formula_near_miss`: OCR noise).
    # The pair is then a template filled in with other content. 0 slots turns both off.
    # Measured: benchmarks/RESULTS.md ("Issue 14: templates").
    template_slots: int = setting(2, min=0)
    template_slot_share: float = setting(0.2, min=0.0, max=1.0)
    template_names_shared: float = setting(0.8, min=0.0, max=1.0)
    # Or over the two whole documents: at least `template_slots` slot words are in short
    # substitutions (a name, figure or date replaced by another), and they are at least this
    # share of the words of short substitutions and of the slot words the two share or substitute.
    template_substituted: float = setting(0.3, min=0.0, max=1.0)
    template_coverage: float = setting(0.1, min=0.0, max=1.0)
    # What a pair that shares only a filled-in template (any of the tests above) becomes:
    # "label": reported with kind "template" in pairs.parquet and passages.parquet, and kept out
    # of the reprint clusters; "reprint": reported as a reprint like any other pair; "drop": not
    # reported.
    templates: str = setting("label", "Pairs that share only a filled-in template: label (kind \"template\", "
                             "kept out of clusters), reprint (reported as reprints) or drop.",
                             choices=("label", "reprint", "drop"))


@dataclass(frozen=True)
class EngineConfig(Checked):
    """How work is spread over the machine."""

    SECTION = "engine"

    # Worker processes; 0 means one per CPU core.
    workers: int = setting(0, "Worker processes (0: one per CPU core).", min=0)
    # Documents per batch handed to a worker while tokenising and shingling.
    batch_docs: int = setting(2000, min=1)
    # Candidate pairs per alignment task.
    batch_pairs: int = setting(2000, min=1)


@dataclass(frozen=True)
class ScanConfig:
    read: ReadConfig = field(default_factory=ReadConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    pairs: PairConfig = field(default_factory=PairConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScanConfig":
        """The configuration ``to_dict`` wrote (run.json's ``config``); missing fields take their
        defaults, unknown sections or fields raise `ConfigError`."""
        if not isinstance(data, dict):
            raise ConfigError(f"a configuration is a JSON object of sections, not {type(data).__name__}")
        sections = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise ConfigError(f"unknown configuration section {unknown[0]!r}; sections: {', '.join(sections)}")
        return cls().replace(**{name: values for name, values in data.items()})

    def replace(self, **stage_overrides: dict[str, Any]) -> "ScanConfig":
        """A copy with some fields of some stages changed: ``cfg.replace(align={"min_words": 30})``."""
        parts = {}
        for name, overrides in stage_overrides.items():
            stage = getattr(self, name)
            if not isinstance(overrides, dict):
                raise ConfigError(f"configuration section {name!r} must be an object of fields, not {overrides!r}")
            known = {f.name for f in dataclasses.fields(stage)}
            unknown = sorted(set(overrides) - known)
            if unknown:
                raise ConfigError(f"unknown field {name}.{unknown[0]}; {name} has: {', '.join(sorted(known))}")
            parts[name] = dataclasses.replace(stage, **overrides)
        return dataclasses.replace(self, **parts)


KEEP_POLICIES = ("first", "earliest", "longest")


@dataclass(frozen=True)
class DuplicateConfig(Checked):
    """What `reprints dedup` removes and which document of a group it keeps (docs/dedup.md)."""

    SECTION = "dedup"

    # documents: remove whole exact, near-duplicate and contained documents; passages: cut
    # repeated passages out of later documents; both: first the one, then the other.
    mode: str = setting("documents", "What to remove: documents (exact, near-duplicate and contained documents), "
                        "passages (repeated passages cut out of later documents) or both.",
                        choices=("documents", "passages", "both"))
    # Near duplicates: exact Jaccard of the two documents' sets of word n-grams at least this.
    # 0.8 on word 5-grams is the common MinHash-LSH setting (datasketch, datatrove), computed
    # here exactly from the shingles, not estimated.
    threshold: float = setting(0.8, "Near duplicates: word n-gram Jaccard at least this (exact, not estimated).",
                               min=0.01, max=1.0)
    # Contained: at least this share of a document's n-grams are in one longer document (a
    # brief wholly inside the full story). 0 turns the test off.
    containment: float = setting(0.9, "Contained: at least this share of a document's word n-grams are in one "
                                 "longer kept document (0: off).", min=0.0, max=1.0)
    # Contained needs a meaningful size: a document of fewer distinct n-grams than this is only
    # ever removed as exact or near duplicate, never as contained. Below it, having every
    # n-gram in a longer text is what a dateline, a standard notice or a one-line brief does
    # by chance of the template; 20 5-grams is a 24-word paragraph, about the shortest text
    # that the passage settings (min_words 20) treat as more than a fragment.
    min_contained_ngrams: int = setting(20, "Contained: only documents with at least this many distinct word n-grams "
                                        "count as contained in a longer one.", min=1)
    # Which document of a group is kept: the first read (input order), the earliest dated,
    # the one with most words, or the largest value of a field (field:NAME; field:-NAME: the
    # smallest). Ties go to input order, so the choice is the same on every run.
    keep: str = setting("first", "Which document of a group is kept: first (input order), earliest (date), "
                        "longest (words), field:NAME (largest value of NAME) or field:-NAME (smallest).")
    # Word n-grams compared at document level (the scan's shingles).
    ngram: int = setting(5, "Words per n-gram for the document-level comparison.", min=1, max=12)
    # Passage level: a run of at least this many words (case, accents and punctuation aside)
    # found in a document kept earlier is cut. 50 tokens is the usual exact-substring setting
    # (Lee et al. 2022, "Deduplicating training data makes language models better").
    passage_words: int = setting(50, "Passages: cut runs of at least this many words that a document kept "
                                 "earlier already holds.", min=5)
    # A document with a passage cut that is left with fewer words than this is removed: what is
    # left is a fragment (shorter than the shortest passage a scan reports).
    min_words: int = setting(20, "Passages: remove a document left with fewer words than this after cutting.",
                             min=0)
    # Output format of the kept documents: auto = jsonl when every input is a JSONL file,
    # else parquet.
    format: str = setting("auto", "Format of kept documents: parquet, jsonl, or auto (jsonl when every input is "
                          "JSONL, else parquet).", choices=("auto", "parquet", "jsonl"))

    def _check(self) -> None:
        if self.keep not in KEEP_POLICIES and not (self.keep.startswith("field:") and self.keep_field):
            raise ConfigError(f"dedup.keep must be one of {', '.join(KEEP_POLICIES)} or field:NAME, "
                              f"not {self.keep!r}")

    @property
    def keep_field(self) -> str:
        """NAME of keep=field:NAME (or field:-NAME), else ""."""
        return self.keep[len("field:"):].lstrip("-") if self.keep.startswith("field:") else ""


@dataclass(frozen=True)
class DedupConfig:
    """The configuration of `reprints dedup`: how input is read, what is removed, workers.
    ``to_dict`` / ``from_dict`` / ``replace`` work as `ScanConfig`'s do."""

    read: ReadConfig = field(default_factory=ReadConfig)
    dedup: DuplicateConfig = field(default_factory=DuplicateConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    to_dict = ScanConfig.to_dict
    replace = ScanConfig.replace

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DedupConfig":
        return ScanConfig.from_dict.__func__(cls, data)
