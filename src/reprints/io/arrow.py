"""Parquet files and in-memory tables (Arrow, pandas), a batch at a time. A text over
``max_chars`` is found by its length in Arrow and skipped without becoming a Python string."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from reprints.config import ReadConfig
from reprints.io.rows import row_id, row_to_document, too_long
from reprints.records import Document, Skip

_BATCH = 1024


def _rows(batch: Any, config: ReadConfig) -> Iterator[tuple[dict[str, Any], bool]]:
    """(row, text over the limit) for each row of an Arrow record batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    over = None
    names = batch.schema.names
    if config.text_field in names:
        index = names.index(config.text_field)
        column = batch.column(index)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            mask = pc.fill_null(pc.greater(pc.utf8_length(column), config.max_chars), False)
            if pc.any(mask).as_py():
                over = mask.to_pylist()
                batch = batch.set_column(index, config.text_field,
                                         pc.if_else(mask, pa.scalar(None, column.type), column))
    for k, row in enumerate(batch.to_pylist()):
        yield row, bool(over and over[k])


def _items(batches: Iterator[Any], config: ReadConfig, origin: Any) -> Iterator[Document | Skip]:
    number = 0
    for batch in batches:
        for row, over in _rows(batch, config):
            number += 1
            if over:
                yield Skip(origin(number), too_long(config), row_id(row, config))
            else:
                yield row_to_document(row, origin(number), config)


def read_parquet(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    import pyarrow.parquet as pq

    produced = 0
    try:
        parquet = pq.ParquetFile(path)
        for item in _items(parquet.iter_batches(batch_size=_BATCH), config, lambda n: f"{path}#{n}"):
            produced += 1
            yield item
    except Exception as err:  # pyarrow raises several types for damaged files
        after = f" after row {produced:,}" if produced else ""
        yield Skip(str(path), f"cannot read Parquet file{after}: {err}")
        return
    if not produced:
        yield Skip(str(path), "no rows in file")


def read_table(table: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    """Rows of an Arrow table or a pandas DataFrame (``row N``, from 1)."""
    import pyarrow as pa

    if not isinstance(table, pa.Table):
        try:
            table = pa.Table.from_pandas(table, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            # Columns Arrow cannot type (mixed objects): the rows as Python values instead.
            for number, row in enumerate(table.to_dict(orient="records"), start=1):
                yield row_to_document(row, f"row {number}", config)
            return
    yield from _items(iter(table.to_batches(max_chunksize=_BATCH)), config, lambda n: f"row {n}")
