"""Date parsing and snippets used by the output tables."""

from __future__ import annotations

import numpy as np

from reprints.stages.report_tables import parse_dates, snippet


def d(value: str) -> np.datetime64:
    return np.datetime64(value, "s")


def test_iso_dates_and_time_zones_in_utc():
    out, warnings = parse_dates(["2024-03-04", "2024-03-04T23:00:00-05:00", "2024-03-04T10:00:00Z"])
    assert out.tolist() == [d("2024-03-04T00:00:00").item(), d("2024-03-05T04:00:00").item(),
                            d("2024-03-04T10:00:00").item()]
    assert warnings == [None, None, None]


def test_missing_and_unreadable_dates():
    out, warnings = parse_dates([None, "not a date", "2024-03-04"])
    assert np.isnat(out[0]) and np.isnat(out[1]) and out[2] == d("2024-03-04")
    assert warnings[0] is None
    assert "not a date" in warnings[1] and "undated" in warnings[1]
    assert warnings[2] is None


def test_reuters_style_dates():
    out, warnings = parse_dates(["26-FEB-1987 15:01:01.79", "2024-03-04", "03-MAR-1987 09:00:00.00"])
    assert out[0] == d("1987-02-26T15:01:01")
    assert out[1] == d("2024-03-04")
    assert out[2] == d("1987-03-03T09:00:00")
    assert warnings == [None, None, None]


def test_dates_outside_the_nanosecond_range_are_not_wrapped():
    """Historical (before 1677) and far-future (after 2262) dates must parse to themselves or
    be reported as undated, never silently wrap around to another century."""
    out, warnings = parse_dates(["1600-01-01", "1650-06-15", "1700-01-01", "2300-06-01"])
    for value, parsed, warning in zip(["1600-01-01", "1650-06-15", "1700-01-01", "2300-06-01"], out, warnings):
        assert parsed == d(value) or (np.isnat(parsed) and warning), (value, parsed, warning)


def test_all_undated():
    out, warnings = parse_dates([None, None])
    assert np.isnat(out).all() and warnings == [None, None]


def test_snippet_flattens_whitespace_and_truncates():
    assert snippet("a\n\n b\t c") == "a b c"
    long = "word " * 100
    s = snippet(long, limit=20)
    assert len(s) <= 20 and s.endswith("…")


def test_snippet_of_a_prefix_equals_snippet_of_the_whole_text():
    """The snippet reads only the start of long texts: long whitespace runs must not change it."""
    import random
    import re

    def whole(text: str, limit: int) -> str:
        flat = re.sub(r"\s+", " ", text).strip()
        return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"

    rng = random.Random(1)
    for _ in range(5000):
        text = "".join(rng.choice(["a", "b", " ", "\n", "  ", "\t" * 10, " " * 400])
                       for _ in range(rng.randint(0, 600)))
        limit = rng.choice([1, 2, 5, 20, 160])
        assert snippet(text, limit) == whole(text, limit), (text, limit)
