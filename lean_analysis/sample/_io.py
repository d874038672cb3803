"""Deterministic writing of the tables: CSV (pyarrow, shortest round-trip floats, ISO dates,
``true``/``false``, empty = null) or Parquet, single files or a folder of parts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lean_analysis.data.schemas import SCHEMAS

ARROW_TYPES = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
               "date": pa.date32()}
EXTENSIONS = (".csv", ".parquet", ".xlsx")


def arrow_table(name: str, columns: dict, extra: list[str] | None = None) -> pa.Table:
    """A table with the schema's column order and types (``extra`` columns are float)."""
    schema = SCHEMAS[name]
    arrays, fields = [], []
    names = schema.column_names
    if extra:  # survey_responses: wave, customer_id, <items>, overall, comment
        names = names[:2] + [e for e in extra if e not in names] + names[2:]
    for col in names:
        dtype = schema.column(col).dtype if col in schema.column_names else "float"
        typ = ARROW_TYPES[dtype]
        value = columns[col]
        arr = value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array(value, type=typ,
                                                                               from_pandas=True)
        if arr.type != typ:
            arr = arr.cast(typ)
        arrays.append(arr)
        fields.append(pa.field(col, typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def clear_table(out: Path, name: str) -> None:
    """Remove earlier files of table ``name`` in ``out`` (any format, or a folder of parts)."""
    for ext in EXTENSIONS:
        f = out / f"{name}{ext}"
        if f.exists():
            f.unlink()
    d = out / name
    if d.is_dir():
        shutil.rmtree(d)


def write_table(table: pa.Table, path: Path, fmt: str) -> Path:
    path = path.with_suffix(f".{fmt}")
    if fmt == "csv":
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    elif fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        raise ValueError(f"format {fmt!r}: expected csv or parquet")
    return path
