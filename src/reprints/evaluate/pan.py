"""PAN text-alignment evaluation: read a PAN corpus, align its pairs, score with the PAN measures.

Corpus layout (PAN 2013 text alignment, e.g. ``pan13-text-alignment-training-corpus``)::

    pairs                         "suspicious-documentXXXXX.txt source-documentYYYYY.txt" per line
    src/  susp/                   the documents (UTF-8)
    01-no-plagiarism/             one folder per obfuscation type, each with its own ``pairs``
    02-no-obfuscation/            and one truth XML per pair, named
    03-random-obfuscation/        suspicious-documentXXXXX-source-documentYYYYY.xml
    04-translation-obfuscation/
    05-summary-obfuscation/
    all/                          (optional) every truth XML again; ignored for typing

A pair's type is the folder that holds its truth XML ("no-obfuscation" -> ``none``,
"random-obfuscation" -> ``random``, ..., "no-plagiarism" stays ``no-plagiarism``). Texts are
read as UTF-8 without newline translation: PAN offsets are code points into the file as stored.

Measures (Potthast, Stein, Barrón-Cedeño and Rosso, "An Evaluation Framework for Plagiarism
Detection", COLING 2010) follow the official script ``pan09-plagiarism-detection-performance-
measures.py`` v1.3 (the ``perfmeasures.py`` used by PAN 2009-2013), macro-averaged variant:

* An annotation is a span in a suspicious document plus a span in a source document. A
  detection r *detects* a case s when they name the same two documents and overlap in both
  (``is_overlapping``).
* recall = (1/|S|) * sum over cases s of |s ⊓ (∪ of the detections that detect s)| / |s|, where
  |s| = suspicious length + source length and ⊓ counts the chars of s covered on each side.
  precision is the same with cases and detections swapped.
* granularity = mean, over cases detected at least once, of the number of detections that
  detect them. plagdet = F1(precision, recall) / log2(1 + granularity).
* Empty sets, as in the script: no cases and no detections -> recall = precision = 1; exactly
  one of them empty -> recall = precision = 0 (so a no-plagiarism pair set scores 1 with no
  detections and 0 with any). No detections, or none detecting a case -> granularity 1.
  plagdet is 0 when precision and recall are both 0.
* Annotations are sets in the script: identical annotations count once (deduplicated here too).

The micro-averaged variant of the same script (char counts pooled over all annotations) is
reported alongside (``micro_precision``, ``micro_recall``). Coverage is computed with sorted
interval unions, not per-char bitmaps.

Known differences from the script: it divides by zero for an annotation of length 0 on both
sides; here such a case contributes 0 and such detections are never produced. Only external
annotations (with a source span) are supported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import multiprocessing as mp
import os
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence
from xml.sax.saxutils import quoteattr

from reprints.config import AlignConfig
from reprints.progress import Reporter
from reprints.stages.align import align_texts

NO_PLAGIARISM = "no-plagiarism"
TRUTH_TAG = "plagiarism"
DETECTION_TAG = "detected-plagiarism"


class Annotation(NamedTuple):
    """A passage in a suspicious document and its counterpart in a source document.

    Offsets and lengths are in code points, as in PAN's XML files.
    """

    this_reference: str
    this_offset: int
    this_length: int
    source_reference: str
    source_offset: int
    source_length: int

    @property
    def this_end(self) -> int:
        return self.this_offset + self.this_length

    @property
    def source_end(self) -> int:
        return self.source_offset + self.source_length


# ---------------------------------------------------------------------------------------------
# Measures


def is_overlapping(a: Annotation, b: Annotation) -> bool:
    """True when ``b`` detects ``a`` (symmetric): same documents, overlapping on both sides."""
    return (
        a.this_reference == b.this_reference
        and a.source_reference == b.source_reference
        and b.this_offset + b.this_length > a.this_offset
        and b.this_offset < a.this_offset + a.this_length
        and b.source_offset + b.source_length > a.source_offset
        and b.source_offset < a.source_offset + a.source_length
    )


def union_length(intervals: Iterable[tuple[int, int]]) -> int:
    """Number of integer positions covered by half-open intervals ``(begin, end)``."""
    total, cur_b, cur_e = 0, None, None
    for b, e in sorted(intervals):
        if e <= b:
            continue
        if cur_e is None or b > cur_e:
            if cur_e is not None:
                total += cur_e - cur_b
            cur_b, cur_e = b, e
        elif e > cur_e:
            cur_e = e
    if cur_e is not None:
        total += cur_e - cur_b
    return total


def covered_chars(ann: Annotation, others: Iterable[Annotation]) -> int:
    """Chars of ``ann`` (suspicious plus source side) covered by the ``others`` that detect it."""
    hits = [o for o in others if is_overlapping(ann, o)]
    if not hits:
        return 0
    this = union_length(
        (max(ann.this_offset, o.this_offset), min(ann.this_end, o.this_end)) for o in hits
    )
    source = union_length(
        (max(ann.source_offset, o.source_offset), min(ann.source_end, o.source_end)) for o in hits
    )
    return this + source


def _unique(annotations: Iterable[Annotation]) -> list[Annotation]:
    return list(dict.fromkeys(annotations))


def _by_pair(annotations: Iterable[Annotation]) -> dict[tuple[str, str], list[Annotation]]:
    index: dict[tuple[str, str], list[Annotation]] = defaultdict(list)
    for a in annotations:
        index[(a.this_reference, a.source_reference)].append(a)
    return index


def macro_avg_recall(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> float:
    """Mean over cases of the share of the case's chars (both sides) that detections cover."""
    cases, detections = _unique(cases), _unique(detections)
    if not cases and not detections:
        return 1.0
    if not cases or not detections:
        return 0.0
    index = _by_pair(detections)
    total = 0.0
    for case in cases:
        size = case.this_length + case.source_length
        others = index.get((case.this_reference, case.source_reference))
        if others and size > 0:
            total += covered_chars(case, others) / size
    return total / len(cases)


def macro_avg_precision(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> float:
    """Mean over detections of the share of the detection's chars that cases cover."""
    return macro_avg_recall(detections, cases)


def detections_per_case(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> list[int]:
    """For each (distinct) case, the number of (distinct) detections that detect it."""
    index = _by_pair(_unique(detections))
    counts = []
    for case in _unique(cases):
        others = index.get((case.this_reference, case.source_reference), ())
        counts.append(sum(1 for o in others if is_overlapping(case, o)))
    return counts


def granularity(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> float:
    """Mean number of detections per detected case; 1 with no detections or none detected."""
    detections = _unique(detections)
    if not detections:
        return 1.0
    counts = [n for n in detections_per_case(cases, detections) if n > 0]
    if not counts:
        return 1.0
    return sum(counts) / len(counts)


def plagdet_score(rec: float, prec: float, gran: float) -> float:
    """F1 of precision and recall, divided by log2(1 + granularity)."""
    if (rec == 0 and prec == 0) or prec < 0 or rec < 0 or gran < 1:
        return 0.0
    return ((2 * rec * prec) / (rec + prec)) / math.log2(1 + gran)


def count_chars(annotations: Iterable[Annotation]) -> int:
    """Chars covered by the annotations, per document and side, overlaps counted once."""
    this: dict[str, list[tuple[int, int]]] = defaultdict(list)
    source: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in annotations:
        this[a.this_reference].append((a.this_offset, a.this_end))
        source[a.source_reference].append((a.source_offset, a.source_end))
    return sum(union_length(v) for v in this.values()) + sum(union_length(v) for v in source.values())


def micro_avg_recall_and_precision(
    cases: Iterable[Annotation], detections: Iterable[Annotation]
) -> tuple[float, float]:
    """(recall, precision) over pooled chars, as the script's ``--micro`` option computes them."""
    cases, detections = _unique(cases), _unique(detections)
    if not cases and not detections:
        return 1.0, 1.0
    if not cases or not detections:
        return 0.0, 0.0
    index = _by_pair(detections)
    true_dets = []
    for case in cases:
        for det in index.get((case.this_reference, case.source_reference), ()):
            if is_overlapping(case, det):
                true_dets.append(
                    Annotation(
                        case.this_reference,
                        max(case.this_offset, det.this_offset),
                        min(case.this_end, det.this_end) - max(case.this_offset, det.this_offset),
                        case.source_reference,
                        max(case.source_offset, det.source_offset),
                        min(case.source_end, det.source_end) - max(case.source_offset, det.source_offset),
                    )
                )
    plagiarized, detected, hit = count_chars(cases), count_chars(detections), count_chars(true_dets)
    rec = hit / plagiarized if plagiarized else 0.0
    prec = hit / detected if detected else 0.0
    return rec, prec


def pan_measures(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> dict:
    """All PAN measures for one set of cases and detections, with the counts behind them."""
    cases, detections = _unique(cases), _unique(detections)
    rec = macro_avg_recall(cases, detections)
    prec = macro_avg_precision(cases, detections)
    gran = granularity(cases, detections)
    micro_rec, micro_prec = micro_avg_recall_and_precision(cases, detections)
    per_case = detections_per_case(cases, detections)
    hits = detections_per_case(detections, cases)  # cases detected by each detection
    return {
        "precision": prec,
        "recall": rec,
        "granularity": gran,
        "plagdet": plagdet_score(rec, prec, gran),
        "micro_precision": micro_prec,
        "micro_recall": micro_rec,
        "cases": len(cases),
        "detections": len(detections),
        "detected_cases": sum(1 for n in per_case if n > 0),
        "unmatched_detections": sum(1 for n in hits if n == 0),
    }


# ---------------------------------------------------------------------------------------------
# Corpus


def _stem(name: str) -> str:
    return name[:-4] if name.endswith(".txt") else name


def pair_name(susp: str, src: str) -> str:
    """``suspicious-document00005-source-document01090``: the truth XML's name without .xml."""
    return f"{_stem(susp)}-{_stem(src)}"


def fold_of(susp: str, src: str, n_folds: int = 2) -> int:
    """Deterministic fold of a pair: a hash of the two file names, modulo ``n_folds``."""
    digest = hashlib.sha1(f"{susp} {src}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_folds


def type_name(folder: str) -> str:
    """``02-no-obfuscation`` -> ``none``; ``03-random-obfuscation`` -> ``random``; ..."""
    base = re.sub(r"^\d+[-_]", "", folder)
    if base == NO_PLAGIARISM:
        return base
    if base.endswith("-obfuscation"):
        base = base[: -len("-obfuscation")]
    return "none" if base == "no" else base


@dataclasses.dataclass(frozen=True)
class PanPair:
    susp: str  # file name in susp/
    src: str  # file name in src/
    type: str  # none / random / translation / summary / no-plagiarism (unknown: no typed XML)
    cases: tuple[Annotation, ...]

    @property
    def name(self) -> str:
        return pair_name(self.susp, self.src)


@dataclasses.dataclass(frozen=True)
class PanCorpus:
    root: Path
    pairs: tuple[PanPair, ...]
    types: tuple[str, ...]  # in folder order

    def susp_text(self, pair: PanPair) -> str:
        return read_text(self.root / "susp" / pair.susp)

    def src_text(self, pair: PanPair) -> str:
        return read_text(self.root / "src" / pair.src)

    def subset(
        self,
        names: Iterable[str] | None = None,
        fold: int | None = None,
        n_folds: int = 2,
    ) -> "PanCorpus":
        """The pairs named (``pair_name`` or "susp src"), and/or those of one fold."""
        pairs = self.pairs
        if names is not None:
            wanted = {_normalise_pair_key(n) for n in names}
            pairs = tuple(p for p in pairs if p.name in wanted)
            missing = wanted - {p.name for p in pairs}
            if missing:
                raise KeyError(f"{len(missing)} pairs not in the corpus, e.g. {sorted(missing)[0]}")
        if fold is not None:
            if not 0 <= fold < n_folds:
                raise ValueError(f"fold must be in 0..{n_folds - 1}")
            pairs = tuple(p for p in pairs if fold_of(p.susp, p.src, n_folds) == fold)
        return dataclasses.replace(self, pairs=pairs)


def _normalise_pair_key(key: str) -> str:
    key = key.strip()
    if key.endswith(".xml"):
        key = key[:-4]
    parts = key.split()
    if len(parts) == 2:
        return pair_name(*parts)
    return key


def read_text(path: str | os.PathLike) -> str:
    """A document as PAN counts offsets: UTF-8, newlines as stored."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _read_pairs_file(path: Path) -> list[tuple[str, str]]:
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                pairs.append((parts[0], parts[1]))
            elif parts:
                raise ValueError(f"{path}: bad pairs line {line!r}")
    return pairs


def read_pan_xml(path: str | os.PathLike, tag: str = TRUTH_TAG) -> list[Annotation]:
    """The annotations of a PAN XML file: features whose name ends with ``tag``, as the script.

    The official reader matches names by suffix, so ``tag="plagiarism"`` also reads
    ``detected-plagiarism`` features.
    """
    root = ET.parse(path).getroot()
    ref = root.get("reference")
    if ref is None:
        return []
    found = []
    for node in root:
        name = node.get("name")
        if name is None or not name.endswith(tag):
            continue
        if node.get("this_offset") is None or node.get("this_length") is None:
            continue
        if node.get("source_reference") is None or node.get("source_offset") is None \
                or node.get("source_length") is None:
            raise ValueError(f"{path}: intrinsic annotations (no source span) are not supported")
        found.append(
            Annotation(
                ref, int(node.get("this_offset")), int(node.get("this_length")),
                node.get("source_reference"), int(node.get("source_offset")),
                int(node.get("source_length")),
            )
        )
    return found


def write_pan_xml(
    path: str | os.PathLike,
    susp: str,
    annotations: Iterable[Annotation],
    tag: str = DETECTION_TAG,
) -> None:
    """Write annotations of suspicious document ``susp`` in PAN's XML format."""
    lines = [f"<document reference={quoteattr(susp)}>"]
    for a in annotations:
        lines.append(
            f"<feature name={quoteattr(tag)} this_offset=\"{a.this_offset}\" "
            f"this_length=\"{a.this_length}\" source_reference={quoteattr(a.source_reference)} "
            f"source_offset=\"{a.source_offset}\" source_length=\"{a.source_length}\" />"
        )
    lines.append("</document>\n")
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def load_pan_corpus(corpus_dir: str | os.PathLike) -> PanCorpus:
    """Pairs, types and truth cases of a PAN text-alignment corpus (layout in the module doc)."""
    root = Path(corpus_dir)
    typed: dict[str, tuple[str, Path]] = {}
    types: list[str] = []
    folder_pairs: list[tuple[str, str]] = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        if sub.name in ("src", "susp", "all"):
            continue
        xmls = sorted(sub.glob("*.xml"))
        if not xmls:
            continue
        kind = type_name(sub.name)
        types.append(kind)
        for x in xmls:
            if x.stem in typed:
                raise ValueError(f"{x.name} is in both {typed[x.stem][1].parent.name} and {sub.name}")
            typed[x.stem] = (kind, x)
        if (sub / "pairs").exists():
            folder_pairs.extend(_read_pairs_file(sub / "pairs"))
    if (root / "pairs").exists():
        listed = _read_pairs_file(root / "pairs")
    else:
        listed = folder_pairs
    pairs = []
    for susp, src in listed:
        name = pair_name(susp, src)
        if name in typed:
            kind, xml_path = typed[name]
        else:
            kind, xml_path = "unknown", root / "all" / f"{name}.xml"
        cases = tuple(_unique(read_pan_xml(xml_path))) if xml_path.exists() else ()
        pairs.append(PanPair(susp, src, kind, cases))
    if any(p.type == "unknown" for p in pairs):
        types.append("unknown")
    return PanCorpus(root, tuple(pairs), tuple(types))


# ---------------------------------------------------------------------------------------------
# Alignment and evaluation

_JOB: tuple[Path, AlignConfig, tuple[PanPair, ...]] | None = None  # inherited by forked workers


def detections_for(matches, susp: str, src: str) -> list[Annotation]:
    """PassageMatches (a = suspicious, b = source) as PAN annotations."""
    dets = []
    for m in matches:
        det = Annotation(susp, m.a_begin, m.a_end - m.a_begin, src, m.b_begin, m.b_end - m.b_begin)
        if det.this_length > 0 or det.source_length > 0:
            dets.append(det)
    return _unique(dets)


def _align_one(i: int) -> tuple[int, list[Annotation], float]:
    assert _JOB is not None
    root, config, pairs = _JOB
    pair = pairs[i]
    susp_text = read_text(root / "susp" / pair.susp)
    src_text = read_text(root / "src" / pair.src)
    start = time.perf_counter()
    matches = align_texts(susp_text, src_text, config)
    seconds = time.perf_counter() - start
    return i, detections_for(matches, pair.susp, pair.src), seconds


def align_corpus(
    corpus: PanCorpus,
    config: AlignConfig | None = None,
    workers: int = 0,
    progress: Reporter | None = None,
) -> tuple[list[list[Annotation]], list[float]]:
    """Detections and alignment seconds of every pair (in ``corpus.pairs`` order).

    ``workers``: 0 = one process per CPU core, 1 = in this process, n = a fork pool of n.
    """
    global _JOB
    config = config or AlignConfig()
    progress = progress or Reporter()
    n = len(corpus.pairs)
    workers = workers or os.cpu_count() or 1
    detections: list[list[Annotation]] = [[] for _ in range(n)]
    seconds = [0.0] * n
    _JOB = (corpus.root, config, corpus.pairs)
    try:
        with progress.stage("align", total=n, unit="pairs") as rep:
            if workers <= 1 or n <= 1:
                results = map(_align_one, range(n))
                for i, dets, sec in results:
                    detections[i], seconds[i] = dets, sec
                    rep.advance()
            else:
                ctx = mp.get_context("fork")
                chunk = max(1, min(16, n // (workers * 8)))
                with ctx.Pool(min(workers, n)) as pool:
                    for i, dets, sec in pool.imap_unordered(_align_one, range(n), chunksize=chunk):
                        detections[i], seconds[i] = dets, sec
                        rep.advance()
    finally:
        _JOB = None
    return detections, seconds


def _summary(pairs: Sequence[PanPair], dets: Sequence[list[Annotation]], secs: Sequence[float]) -> dict:
    cases = [c for p in pairs for c in p.cases]
    flat = [d for ds in dets for d in ds]
    result = pan_measures(cases, flat)
    result["pairs"] = len(pairs)
    result["pairs_with_detections"] = sum(1 for ds in dets if ds)
    result["align_seconds"] = round(sum(secs), 3)
    return result


def evaluate_pan(
    corpus_dir: str | os.PathLike | PanCorpus,
    config: AlignConfig | None = None,
    out: str | os.PathLike | None = None,
    workers: int = 0,
    progress: Reporter | None = None,
    *,
    pairs_subset: Iterable[str] | None = None,
    fold: int | None = None,
    n_folds: int = 2,
) -> dict:
    """Align every pair of a PAN corpus (suspicious = A, source = B) and score it.

    ``pairs_subset``: pair names (``suspicious-documentX-source-documentY``, with or without
    ``.xml``, or "susp.txt src.txt") to evaluate only those; ``fold``: only the pairs of that
    fold of a deterministic ``n_folds``-fold split (``fold_of``), e.g. tune on fold 0 and
    measure on fold 1. ``out``: write the detections as PAN XML, one file per pair named like
    the truth, which the official script reads (``-d out``).

    Returns ``overall`` and ``by_type`` measures (``pan_measures`` plus ``pairs``,
    ``pairs_with_detections`` and ``align_seconds``, the summed per-pair alignment time;
    the no-plagiarism type also has ``false_positives`` = its number of detections), and the
    wall time in ``seconds``.
    """
    start = time.perf_counter()
    corpus = corpus_dir if isinstance(corpus_dir, PanCorpus) else load_pan_corpus(corpus_dir)
    corpus = corpus.subset(pairs_subset, fold, n_folds)
    config = config or AlignConfig()
    detections, seconds = align_corpus(corpus, config, workers, progress)
    if out is not None:
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        for pair, dets in zip(corpus.pairs, detections):
            write_pan_xml(out_dir / f"{pair.name}.xml", pair.susp, dets)
    by_type = {}
    for kind in corpus.types:
        idx = [i for i, p in enumerate(corpus.pairs) if p.type == kind]
        if not idx:
            continue
        summary = _summary(
            [corpus.pairs[i] for i in idx], [detections[i] for i in idx], [seconds[i] for i in idx]
        )
        if kind == NO_PLAGIARISM:
            summary["false_positives"] = summary["detections"]
        by_type[kind] = summary
    return {
        "corpus": str(corpus.root),
        "fold": fold,
        "n_folds": n_folds if fold is not None else None,
        "pairs": len(corpus.pairs),
        "workers": workers or os.cpu_count(),
        "config": dataclasses.asdict(config),
        "overall": _summary(corpus.pairs, detections, seconds),
        "by_type": by_type,
        "seconds": round(time.perf_counter() - start, 3),
    }
