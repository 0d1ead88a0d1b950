"""Candidate document pairs: which pairs share enough rare n-grams to be worth aligning.

Postings (n-gram → documents) with a document-frequency cap, as passim does: an n-gram in
more than ``max_df`` documents is a formula or boilerplate, and would cost max_df² pairs.
Exact duplicates (same normalised word sequence) are paired separately so that they are
found even when their n-grams are capped, masked or too few.

The stage is SQL over two relations, so every engine runs the very same query:
``shingles(doc BIGINT, h UBIGINT)`` with distinct rows, and
``fingerprints(doc BIGINT, fp UBIGINT, n_words BIGINT)``.
"""

from __future__ import annotations

from reprints.config import CandidateConfig


def shared_ngram_pairs_sql(config: CandidateConfig, shingles: str = "shingles") -> str:
    """Pairs (a < b) with the number of n-grams they share, at least ``min_shared``, and how
    many of those are common (in more than ``common_df`` documents)."""
    return f"""
        WITH kept AS (
            SELECT h, count(*) > {int(config.common_df)} AS common FROM {shingles} GROUP BY h
            HAVING count(*) BETWEEN 2 AND {int(config.max_df)}
        ),
        postings AS (SELECT s.doc, s.h, kept.common FROM {shingles} s JOIN kept ON s.h = kept.h)
        SELECT x.doc AS a, y.doc AS b, count(*) AS shared,
               count(CASE WHEN x.common THEN 1 END) AS common
        FROM postings x JOIN postings y ON x.h = y.h AND x.doc < y.doc
        GROUP BY x.doc, y.doc
        HAVING count(*) >= {int(config.min_shared)}
    """


def exact_duplicate_pairs_sql(config: CandidateConfig, min_words: int, fingerprints: str = "fingerprints") -> str:
    """Pairs (a < b) of documents with identical normalised text of at least ``min_words``
    words (one shingle: two bodies holding only a sign-off such as "Reuter" are no reprint).

    A group larger than ``max_df`` is linked as a star around its first member instead of
    all-pairs, so a collection of ten thousand identical notices costs 10k pairs, not 50M.
    """
    return f"""
        WITH ranked AS (
            SELECT doc, fp,
                   row_number() OVER (PARTITION BY fp ORDER BY doc) AS rank,
                   count(*) OVER (PARTITION BY fp) AS size
            FROM {fingerprints} WHERE n_words >= {int(min_words)}
        )
        SELECT x.doc AS a, y.doc AS b
        FROM ranked x JOIN ranked y ON x.fp = y.fp AND x.doc < y.doc
        WHERE x.size > 1 AND (x.size <= {int(config.max_df)} OR x.rank = 1)
    """
