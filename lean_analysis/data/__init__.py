"""The canonical tables: loading, validation, aggregation to series.

>>> from lean_analysis import data
>>> tables = data.load("data/sample-county")            # doctest: +SKIP
>>> problems = data.validate("path/to/export")          # doctest: +SKIP
>>> series = data.to_series(tables, level=["product_id"], freq="MS")   # doctest: +SKIP

The table contract is :data:`SCHEMAS`; its reference is ``TABLES.md`` beside this file
(``schema_markdown()`` writes it).

The modules, each importing only those before it: ``problems`` (the problem and error
types), ``schemas`` (the contract), ``sqltypes`` (schema types as DuckDB SQL), ``sources``
(the readers of folders, CSV, Parquet, Excel and DuckDB files), ``tables`` (``Tables`` and
its DuckDB connection), ``validate`` (the checks), ``load`` (open, check, return), and
``series`` (``to_series``).
"""

from lean_analysis.data.load import load, validate
from lean_analysis.data.problems import DuckDBMemoryError, Problem, ValidationError
from lean_analysis.data.schemas import SCHEMAS, schema_markdown
from lean_analysis.data.series import to_series
from lean_analysis.data.tables import Tables

__all__ = [
    "DuckDBMemoryError",
    "SCHEMAS",
    "Problem",
    "Tables",
    "ValidationError",
    "load",
    "schema_markdown",
    "to_series",
    "validate",
]
