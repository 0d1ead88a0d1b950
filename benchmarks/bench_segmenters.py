#!/usr/bin/env python
"""Speed of word segmenters against reprints' own units (issue 16), on livedoor news articles.

    pip install icu4py rjieba pythainlp          # not reprints dependencies; only for this measurement
    python benchmarks/bench_segmenters.py

Times, on one core, the first 300 livedoor articles (Japanese) through ICU's word break iterator
(icu4py, a wheel that bundles ICU), rjieba (jieba in Rust; a Chinese dictionary) and reprints'
tokeniser; and a Thai news paragraph repeated 200 times through pythainlp's newmm and ICU.
Prints million characters per second and characters per token.
"""

from __future__ import annotations

import glob
import time
from pathlib import Path

from reprints.stages.normalise import tokenize

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "livedoor-news"


def bench(name, fn, texts):
    chars = sum(map(len, texts))
    t = time.perf_counter()
    n = sum(fn(x) for x in texts)
    dt = time.perf_counter() - t
    print(f"{name}: {chars / dt / 1e6:.2f} M chars/s, {n} tokens, {chars / n:.2f} chars/token", flush=True)


def main() -> None:
    files = sorted(glob.glob(str(DATA / "*" / "*-*.txt")))[:300]
    texts = [open(f, encoding="utf-8").read() for f in files]
    bench("reprints units", lambda x: len(tokenize([x]).hashes), texts)
    import icu4py.breakers as breakers
    import icu4py.locale as locale
    bench("icu4py WordBreaker(ja)", lambda x: sum(1 for _ in breakers.WordBreaker(x, locale.Locale("ja"))), texts)
    import rjieba
    bench("rjieba cut", lambda x: len(rjieba.cut(x)), texts)
    from pythainlp.tokenize import word_tokenize
    thai = ["รัฐบาลประกาศมาตรการเศรษฐกิจใหม่เพื่อกระตุ้นการบริโภคภายในประเทศ "
            "โดยนายกรัฐมนตรีกล่าวว่าจะช่วยเหลือประชาชน" * 200]
    bench("pythainlp newmm", lambda x: len(word_tokenize(x, engine="newmm")), thai)
    bench("icu4py WordBreaker(th)", lambda x: sum(1 for _ in breakers.WordBreaker(x, locale.Locale("th"))), thai)
    bench("reprints units (th)", lambda x: len(tokenize([x]).hashes), thai)


if __name__ == "__main__":
    main()
