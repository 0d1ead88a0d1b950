"""reprints: find reused text in document collections.

>>> import reprints
>>> result = reprints.scan("my-corpus/")          # doctest: +SKIP
>>> result.passages.to_pandas()                   # doctest: +SKIP
"""

__version__ = "0.1.0"

from reprints.api import NoDocumentsError, Result, scan  # noqa: E402
from reprints.config import ScanConfig  # noqa: E402
from reprints.records import Document  # noqa: E402

__all__ = ["scan", "Result", "ScanConfig", "Document", "NoDocumentsError", "__version__"]
