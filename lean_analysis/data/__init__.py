"""The canonical tables: loading, validation, aggregation to series.

>>> from lean_analysis import data
>>> tables = data.load("data/sample-county")            # doctest: +SKIP
>>> problems = data.validate("path/to/export")          # doctest: +SKIP
>>> series = data.to_series(tables, level=["product_id"], freq="MS")   # doctest: +SKIP

The table contract is :data:`SCHEMAS`; its reference is ``TABLES.md`` beside this file
(``schema_markdown()`` writes it).
"""

from lean_analysis.data.load import load
from lean_analysis.data.schemas import SCHEMAS, schema_markdown
from lean_analysis.data.series import to_series
from lean_analysis.data.tables import DuckDBMemoryError, Tables
from lean_analysis.data.validate import Problem, ValidationError, validate

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
