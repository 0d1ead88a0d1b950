"""reprints: find reused text in document collections.

>>> import reprints
>>> result = reprints.scan("my-corpus/")          # doctest: +SKIP
>>> result.passages.to_pandas()                   # doctest: +SKIP
"""

from reprints._version import __version__
from reprints._build import check_build

check_build()

from reprints.api import NoDocumentsError, Result, scan  # noqa: E402
from reprints.config import DedupConfig, ScanConfig  # noqa: E402
from reprints.dedup import DedupResult, dedup  # noqa: E402
from reprints.records import Document  # noqa: E402

__all__ = ["scan", "Result", "ScanConfig", "dedup", "DedupResult", "DedupConfig", "Document", "NoDocumentsError",
           "__version__"]
