"""Values read from rows, as a `Document` holds them: ids as strings, source / date / url as
text, metadata as JSON values (documents.parquet's ``meta`` column is their JSON text).

Ids: a string is kept as it is; a number is its usual string (``7`` and ``7.0`` -> ``"7"``,
``2.5`` -> ``"2.5"``); bytes are their UTF-8 text; a date, time or UUID is its ISO / canonical
form. A missing value (None, NaN, pandas NA) is no id. Anything else (a bool, dict, list,
infinite number, bytes that are not UTF-8) is not an id, and the row is skipped with that reason.

Metadata keeps its structure: dicts, lists, numbers, booleans and null stay JSON values; bytes
become their UTF-8 text (undecodable bytes as ``\\xNN``), dates their ISO form, NaN null, other
objects their ``str``. No value carries a lone surrogate (each becomes U+FFFD), so every value
can be written as UTF-8.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
# Python refuses to write ints of more than 4,300 digits as text (and so as JSON); 14,000 bits
# stay below that.
_MAX_INT_BITS = 14_000


def clean(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (one code point for one: offsets keep)."""
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values; pandas' missing markers as None."""
    kind = type(value)
    if kind.__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    if kind.__name__ in ("NAType", "NaTType"):
        return None
    return value


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, decimal.Decimal):
        return value.is_nan()
    return False


def _number_text(value: int | float | decimal.Decimal) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value.bit_length() <= _MAX_INT_BITS else None
    if isinstance(value, float):
        if math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if not value.is_finite():
        return None
    return str(value)


def id_text(value: Any) -> tuple[str | None, str | None]:
    """(the id as a string, None), (None, why the value cannot be an id), or (None, None) when missing."""
    value = _plain(value)
    if _missing(value):
        return None, None
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return None, "is a bool, not a string or number"
    if isinstance(value, (int, float, decimal.Decimal)):
        text = _number_text(value)
        return (text, None) if text is not None else (None, f"is the number {value!r:.40}, not usable as an id")
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8"), None
        except UnicodeDecodeError:
            return None, "is bytes that are not valid UTF-8"
    if isinstance(value, uuid.UUID):
        return str(value), None
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(), None
    return None, f"is a {type(value).__name__}, not a string or number"


def text_value(value: Any) -> str | None:
    """A source, date or url as text (None when missing); structured values as their JSON."""
    value = _plain(value)
    if _missing(value):
        return None
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return _number_text(value) or json.dumps(json_value(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if hasattr(value, "isoformat"):
        return clean(str(value.isoformat()))
    return json.dumps(json_value(value), ensure_ascii=False)


def key_text(key: Any) -> str:
    if isinstance(key, str):
        return clean(key)
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(json_value(key))
    return text_value(key) or str(key)


def json_value(value: Any) -> Any:
    """``value`` as a JSON value (what ``json.dumps(..., allow_nan=False)`` accepts)."""
    value = _plain(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, int):
        return value if value.bit_length() <= _MAX_INT_BITS else hex(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, decimal.Decimal):
        return None if value.is_nan() else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, Mapping):
        return {key_text(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [json_value(v) for v in sorted(value, key=repr)]
    if hasattr(value, "isoformat"):
        return clean(str(value.isoformat()))
    return clean(str(value))
