"""Bytes to text: the encoding from a byte-order mark, undecodable bytes as U+FFFD with a
warning, and lines read in bounded pieces (a line longer than the limit is read through and
reported, never held whole).

UTF-8 is the default. A UTF-16 or UTF-32 file is read when it starts with its byte-order mark
(the mark is not part of the text; offsets count from the first character after it). A UTF-8
mark is framing in table files (dropped) and kept as U+FEFF at the start of a .txt file, as
``open(path, encoding="utf-8")`` gives it.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}

# Undecodable bytes in a stream become this lone surrogate, which no decoder ever yields for
# valid input, so a line can tell that it holds some; the line then gets U+FFFD in its place.
_MARK = "\udfff"
_FLAG = "reprints-mark"
codecs.register_error(_FLAG, lambda err: (_MARK, err.end))

_DISCARD_CHUNK = 1 << 18  # characters per read while reading through an over-long line


def sniff(head: bytes, keep_utf8_bom: bool = False) -> str:
    """The codec for data starting with ``head`` (at least its first 4 bytes)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return "utf-8" if encoding == "utf-8-sig" and keep_utf8_bom else encoding
    return "utf-8"


def label(encoding: str) -> str:
    return _LABELS.get(encoding, encoding)


def decode(data: bytes, encoding: str) -> tuple[str, str | None]:
    """All of ``data`` as text, and a warning when bytes had to be replaced."""
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as err:
        text = data.decode(encoding, errors="replace")
        return text, f"invalid {label(encoding)} at byte {err.start}; undecodable bytes replaced by U+FFFD"


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``, or None when it holds more than ``limit`` (then not read)."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            return None
        chunks: list[bytes] = []
        total, want = 0, size + 1 if size else 1 << 16
        while True:  # a file that grows while it is read, or reports no size, is still bounded
            chunk = handle.read(min(want, limit + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                return None
            want = 1 << 16 if want != 1 << 16 else 1 << 20


def read_error(err: BaseException) -> str:
    """What went wrong reading a (possibly compressed) file, for a person."""
    if isinstance(err, zlib.error):
        return f"damaged compressed data ({err})"
    if isinstance(err, EOFError):
        return "the compressed data ends early (truncated file)"
    if isinstance(err, gzip.BadGzipFile):
        return f"damaged gzip file ({err})"
    return os_error(err) if isinstance(err, OSError) else str(err)


def os_error(err: OSError) -> str:
    import errno

    if err.errno == errno.ENAMETOOLONG:
        return "path longer than the system allows"
    return err.strerror or str(err)


def open_binary(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


class Lines:
    """The lines of a binary stream as text, numbered from 1, each at most ``limit`` characters.

    ``newline`` is as for `open`: "\\n" splits at line feeds only (JSONL), "" at any of \\n,
    \\r\\n, \\r, as CSV needs. Each item is (number, line, warning); line is None for a line
    longer than the limit, which was read through in bounded pieces and dropped.
    """

    def __init__(self, raw: BinaryIO, limit: int, newline: str):
        head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
        self.encoding = sniff(head)
        self.stream = io.TextIOWrapper(raw, encoding=self.encoding, errors=_FLAG, newline=newline)
        self.limit = limit
        self.ends = ("\n",) if newline == "\n" else ("\n", "\r")
        self.number = 0
        self.warning = f"invalid {label(self.encoding)}; undecodable bytes replaced by U+FFFD"

    def __iter__(self) -> Iterator[tuple[int, str | None, str | None]]:
        return self

    def __next__(self) -> tuple[int, str | None, str | None]:
        line = self.stream.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > self.limit:
            while not line.endswith(self.ends):
                line = self.stream.readline(_DISCARD_CHUNK)
                if not line:
                    break
            return self.number, None, None
        if _MARK in line:
            return self.number, line.replace(_MARK, "\ufffd"), self.warning
        return self.number, line, None

    def close(self) -> None:
        self.stream.close()
