"""The bytes of a web page to text: which character encoding, decided in a fixed order.

1. A byte-order mark (UTF-8, UTF-16, UTF-32) wins, as in browsers.
2. The charset the HTTP ``Content-Type`` header declares (WARC responses).
3. The charset a ``<meta>`` tag declares in the first 4 KB of the page.
4. Detection: UTF-8 when the bytes are valid UTF-8, else charset-normalizer's best guess,
   else windows-1252.

A declared charset is used only when the bytes fit it. A declaration that does not fit (a page
in windows-1252 labelled UTF-8, a UTF-8 page labelled ISO-8859-1, whose text would otherwise
come out as "Ã©") is passed over for the next source, and the page keeps a warning saying so.
A few stray invalid bytes in a page that is otherwise UTF-8 are replaced by U+FFFD (with a
warning), not taken as a reason to guess. Labels are read as browsers read them (WHATWG): ISO-8859-1
and ASCII mean windows-1252, GB2312 means GB18030, Shift_JIS means Windows-31J, and so on.

Decoding is a pure function of the bytes and the header, so a page read twice gives the same
text (the report reads inputs again and finds passages at the same offsets).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

# WHATWG encoding labels whose Python codec differs from the name (browsers decode these
# labels with a superset: bytes 0x80-0x9F of "ISO-8859-1" pages are windows-1252 quotes).
_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "iso_8859-1": "cp1252", "latin1": "cp1252",
    "latin-1": "cp1252", "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "ansi_x3.4-1968": "cp1252",
    "cp819": "cp1252", "ibm819": "cp1252", "iso-ir-100": "cp1252", "windows-1252": "cp1252", "x-cp1252": "cp1252",
    "iso-8859-9": "cp1254", "iso8859-9": "cp1254", "latin5": "cp1254", "windows-1254": "cp1254",
    "iso-8859-11": "cp874", "tis-620": "cp874", "windows-874": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "chinese": "gb18030", "gb_2312-80": "gb18030",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "windows-31j": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8", "x-mac-roman": "mac-roman", "macintosh": "mac-roman",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]+)", re.IGNORECASE)
# A page declared UTF-8 keeps UTF-8 when at most this share of its non-ASCII bytes are invalid
# (a stray byte); text in a single-byte charset has nearly all of them invalid.
_STRAY_SHARE = 0.2
_WIDE = ("utf-16", "utf-32")
_HIGH = bytes(range(0x80, 0x100))


@dataclass
class Decoded:
    text: str
    encoding: str  # the Python codec used
    source: str  # "bom", "http", "meta", "detected" or "default"
    warning: str | None = None


def codec(label: str | None) -> str | None:
    """The Python codec for an encoding label as browsers read it, or None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset label of a ``Content-Type`` value (``text/html; charset=utf-8``)."""
    if not content_type:
        return None
    found = _HEADER_CHARSET.search(content_type)
    return found.group(1) if found else None


def meta_charset(data: bytes) -> str | None:
    """The charset label a ``<meta>`` tag declares in the first 4 KB, if any."""
    found = _META.search(data[:4096])
    return found.group(1).decode("ascii", "replace") if found else None


@lru_cache(maxsize=None)
def _single_byte(encoding: str) -> bool:
    """One byte, one character (windows-1252, KOI8-R...): the byte values 0xA1-0xFE decode to
    as many characters; in a multi-byte charset they pair up."""
    if encoding == "utf-8" or encoding.startswith(_WIDE):
        return False
    try:
        return len(bytes(range(0xA1, 0xFF)).decode(encoding, errors="replace")) == 0xFF - 0xA1
    except LookupError:
        return False


def _has_high(data: bytes) -> bool:
    return len(data.translate(None, _HIGH)) != len(data)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_with_strays(data: bytes) -> str | None:
    """UTF-8 with invalid bytes replaced, when they are few enough to be strays."""
    high = len(data) - len(data.translate(None, _HIGH))
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if high and bad <= _STRAY_SHARE * high:
        return text
    return None


def _detect(data: bytes) -> tuple[str, str]:
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    encoding = None
    if matches:
        best = matches[0]
        # Latin pages often score alike in several windows-125x charsets; windows-1252 is the
        # web's most common legacy charset, so it wins a tie.
        tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        encoding = codec("cp1252" if "cp1252" in tied else best.encoding)
    if encoding and not encoding.startswith(_WIDE):  # no BOM: UTF-16 guesses on HTML are noise
        return data.decode(encoding, errors="replace"), encoding
    return data.decode("cp1252", errors="replace"), "cp1252"


def _wide_order(data: bytes, encoding: str) -> str:
    """UTF-16 or UTF-32 declared without a byte-order mark: the byte order from where the
    zero bytes of ASCII markup fall."""
    if encoding.startswith("utf-32"):
        return "utf-32-be" if data[:1] == b"\x00" else "utf-32-le"
    return "utf-16-be" if data[:1] == b"\x00" else "utf-16-le"


def decode_page(data: bytes, http_content_type: str | None = None) -> Decoded:
    """The page's text and how its encoding was chosen (see the module's docstring)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], encoding)
            if text is not None:
                return Decoded(text, encoding, "bom")
            text = data[len(bom):].decode(encoding, errors="replace")
            return Decoded(text, encoding, "bom", f"invalid {encoding} bytes replaced by U+FFFD")
    passed_over = []
    for source, label in (("http", header_charset(http_content_type)), ("meta", meta_charset(data))):
        if label is None:
            continue
        encoding = codec(label)
        if encoding is None:
            passed_over.append(f"unknown charset {label!r} ({source})")
            continue
        if encoding.startswith(_WIDE):
            # Without a mark: the byte order from the data; a meta tag readable as ASCII was
            # copied from a UTF-16 original and is not what these bytes are.
            if source == "meta" or b"\x00" not in data[:64]:
                passed_over.append(f"declared {label} ({source}) but the bytes are not {label}")
                continue
            encoding = _wide_order(data, encoding)
        text = _strict(data, encoding)
        if text is not None and _single_byte(encoding) and _has_high(data) \
                and _strict(data, "utf-8") is not None:
            passed_over.append(f"declared {label} ({source}) but the bytes are UTF-8")
            continue
        if text is None and encoding == "utf-8":
            text = _utf8_with_strays(data)
            if text is not None:
                return Decoded(text, encoding, source, _note(passed_over, "invalid UTF-8 bytes replaced by U+FFFD"))
        if text is not None:
            return Decoded(text, encoding, source, _note(passed_over))
        passed_over.append(f"declared {label} ({source}) does not fit the bytes")
    text, encoding = _detect(data)
    source = "detected" if encoding != "utf-8" or passed_over or _has_high(data) else "default"
    warning = _note(passed_over, f"read as {encoding} (detected)") if passed_over else None
    return Decoded(text, encoding, source, warning)


def _note(passed_over: list[str], extra: str | None = None) -> str | None:
    parts = passed_over + ([extra] if extra else [])
    return "; ".join(parts) if parts else None
