"""A persistent, incrementally updated reprint index (one DuckDB file)."""

from reprints.index.store import AddResult, Index, IndexError_, open_index

__all__ = ["AddResult", "Index", "IndexError_", "open_index"]
