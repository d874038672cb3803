"""The name of a database snapshot depends on the rows only (not on memory under nulls or
on how the driver chunked the table): the PostgreSQL batch test found a second snapshot of
one unchanged source because a null double's slot held different bytes on each read."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from lean_analysis.data.database import parquet_bytes, snapshot_digest


def _doubles(under_null: float, chunks: int = 1) -> pa.Table:
    values = np.array([1.5, under_null, 3.0, under_null], dtype=np.float64)
    valid = np.packbits(np.array([1, 0, 1, 0], dtype=bool), bitorder="little")
    arr = pa.Array.from_buffers(pa.float64(), 4, [pa.py_buffer(valid.tobytes()),
                                                 pa.py_buffer(values.tobytes())], null_count=2)
    t = pa.table({"stock_qty": arr, "id": ["a", "b", "c", "d"]})
    return t if chunks == 1 else pa.concat_tables([t.slice(0, 2), t.slice(2)])


def test_equal_rows_name_the_same_snapshot_whatever_lies_under_a_null():
    a, b = _doubles(0.0), _doubles(123456.789, chunks=2)
    assert a.equals(b) and a.column(0).chunk(0).buffers()[1] != b.column(0).chunk(0).buffers()[1]
    keys = {"orders": "35122:2026-10-26"}
    digest_a = snapshot_digest({"t": parquet_bytes(a)}, keys).hexdigest()
    assert digest_a == snapshot_digest({"t": parquet_bytes(b)}, keys).hexdigest()


def test_different_rows_or_fingerprints_name_another_snapshot():
    keys = {"orders": "35122:2026-10-26"}
    base = snapshot_digest({"t": parquet_bytes(_doubles(0.0))}, keys).hexdigest()
    other = pa.table({"stock_qty": [1.5, None, 3.5, None], "id": ["a", "b", "c", "d"]})
    assert snapshot_digest({"t": parquet_bytes(other)}, keys).hexdigest() != base
    later = {"orders": "35123:2026-10-26"}
    assert snapshot_digest({"t": parquet_bytes(_doubles(0.0))}, later).hexdigest() != base
