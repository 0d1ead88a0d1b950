"""Evaluation against gold standards.

* :mod:`reprints.evaluate.pan`: the PAN text-alignment corpora (PAN 2013 layout), scored with
  the official PAN measures (macro precision and recall, granularity, plagdet).
* :mod:`reprints.evaluate.clusters`: clusterings against gold clusters (adjusted Rand index,
  pairwise precision / recall / F1).
"""
