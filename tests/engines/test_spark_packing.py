"""Rows that cross Spark tasks packed in blobs (engines/spark.py: `packed`, `unpacked`) come out
as they went in, part by part, however Spark re-chunks or slices the batches and whichever binary
type its Arrow hand-off uses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from reprints.engines import spark


@pytest.mark.parametrize("rows_per_blob", [1 << 20, 7])
@pytest.mark.parametrize("binary", [pa.binary(), pa.large_binary()])
def test_packed_rows_unpack_part_by_part(monkeypatch, rows_per_blob, binary):
    monkeypatch.setattr(spark, "_ROWS_PER_BLOB", rows_per_blob)
    rng = np.random.default_rng(5)
    rows = np.empty(500, spark._POSTING)
    rows["doc"], rows["h"], rows["rank"] = rng.integers(0, 50, 500), rng.integers(-2**62, 2**62, 500), np.arange(500)
    keys = np.array([11, 22, 33])
    table = pa.Table.from_batches(list(spark.packed(rows, rows["h"], keys)))
    table = table.cast(pa.schema([("part", table.schema.field("part").type), ("blob", binary)]))
    part = rows["h"].view(np.uint64) % np.uint64(len(keys))
    for p, key in enumerate(keys):
        mine = table.filter(pa.compute.equal(table["part"], key)).combine_chunks()
        # as a task may get them: several batches, one a slice that does not start at its buffer's start
        batches = mine.to_batches(max_chunksize=2)
        if mine.num_rows > 1:
            batches = [mine.slice(1).to_batches()[0], mine.slice(0, 1).to_batches()[0]]
            assert batches[0].column("blob").offset == 1  # a slice into the same buffers
        got = spark.unpacked(iter(batches), spark._POSTING)
        expected = rows[part == p]
        if mine.num_rows > 1:  # the first blob came last
            first = len(np.frombuffer(mine["blob"][0].as_py(), spark._POSTING))
            expected = np.concatenate([expected[first:], expected[:first]])
        assert got.tolist() == expected.tolist()
    assert spark.unpacked(iter([]), spark._POSTING).shape == (0,)
