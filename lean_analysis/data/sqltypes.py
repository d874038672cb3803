"""The schema's types in DuckDB SQL: how a stored column becomes the declared column.

Every typed view casts the stored columns to the schema's types (:mod:`.schemas`): text
columns (all identifiers among them) stay text, whatever they look like, so ``007`` stays
``007``; numbers are DOUBLE (integers BIGINT); dates DATE; booleans from
``true/false/1/0/是/否`` (see ``schemas.TRUE_WORDS``). A value that does not cast is NULL.

Pure SQL text: nothing here touches a connection or a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from lean_analysis.data.schemas import FALSE_WORDS, TRUE_WORDS, TableSchema

# DuckDB types that hold numbers / integers.
_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}


class Stored(Protocol):
    """What the typing needs of a table as stored (a :class:`.sources.RawSource`)."""

    columns: dict[str, str]  # stored column name -> DuckDB type (may include _pos)
    plain_sql: str  # a SELECT giving the stored columns


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _sql_str(s: str | Path) -> str:
    """A quoted SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def _base_type(t: str) -> str:
    return re.sub(r"\(.*\)", "", t.upper()).strip()


def is_text_type(t: str) -> bool:
    return _base_type(t) in ("VARCHAR", "TEXT", "STRING")


def is_number_type(t: str) -> bool:
    b = _base_type(t)
    return b in _INT_TYPES or b in _FLOAT_TYPES or b == "DECIMAL"


def clean_expr(ref: str, stored_type: str) -> str:
    """The stored value with empty text as NULL. Text is not trimmed (an identifier with a
    stray space does not match its table: the foreign-key check says so); numbers and
    dates tolerate surrounding spaces, as DuckDB's casts do."""
    return f"NULLIF({ref}, '')" if is_text_type(stored_type) else ref


def typed_expr(dtype: str, ref: str, stored_type: str | None) -> str:
    """SQL turning the stored column ``ref`` (DuckDB type ``stored_type``; None = the
    column is missing) into the schema type ``dtype``; NULL where it does not cast."""
    target = _SQL_TYPES[dtype]
    if stored_type is None:
        return f"CAST(NULL AS {target})"
    b = _base_type(stored_type)
    text = is_text_type(stored_type)
    c = clean_expr(ref, stored_type)
    if dtype == "str":
        return c if text else f"CAST({ref} AS VARCHAR)"
    if dtype == "float":
        if text:
            x = f"TRY_CAST({c} AS DOUBLE)"
        elif is_number_type(stored_type):
            x = f"CAST({ref} AS DOUBLE)"
        else:
            return "CAST(NULL AS DOUBLE)"
        return f"NULLIF({x}, CAST('nan' AS DOUBLE))"
    if dtype == "int":
        if text:
            return (f"CASE WHEN regexp_full_match(trim({c}), '[+-]?[0-9]+(\\.0*)?') "
                    f"THEN TRY_CAST(TRY_CAST({c} AS DOUBLE) AS BIGINT) END")
        if b in _INT_TYPES:
            return f"CAST({ref} AS BIGINT)"
        if is_number_type(stored_type):
            return f"CASE WHEN {ref} = round({ref}) THEN TRY_CAST({ref} AS BIGINT) END"
        return "CAST(NULL AS BIGINT)"
    if dtype == "bool":
        if b == "BOOLEAN":
            return ref
        if b in _INT_TYPES:
            return f"CASE {ref} WHEN 1 THEN true WHEN 0 THEN false END"
        if text:
            t = ", ".join(_sql_str(w) for w in TRUE_WORDS)
            f = ", ".join(_sql_str(w) for w in FALSE_WORDS)
            return (f"CASE WHEN lower(trim({c})) IN ({t}) THEN true "
                    f"WHEN lower(trim({c})) IN ({f}) THEN false END")
        return "CAST(NULL AS BOOLEAN)"
    if dtype == "date":
        if b == "DATE":
            return ref
        if b.startswith("TIMESTAMP"):
            return f"CAST({ref} AS DATE)"
        if text:
            return f"TRY_CAST({c} AS DATE)"
        return "CAST(NULL AS DATE)"
    raise ValueError(f"unknown dtype {dtype!r}")


def column_expr(c, ref: str, stored_type: str | None) -> str:
    """``typed_expr`` of the schema column ``c``, with its synonyms (the users' words, e.g.
    城网) read as the values they stand for (urban); surrounding spaces ignored for them."""
    x = typed_expr(c.dtype, ref, stored_type)
    if not c.synonyms or stored_type is None:
        return x
    cases = " ".join(f"WHEN {_sql_str(w)} THEN {_sql_str(v)}" for w, v in c.synonyms)
    return f"CASE trim({x}) {cases} ELSE {x} END"


def item_columns(schema: TableSchema, raw: Stored) -> list[str]:
    """Stored columns beyond the schema's, for tables that have them (survey items)."""
    if not schema.extra_columns_from:
        return []
    return [c for c in raw.columns if c not in schema.column_names and c != "_pos"]


def typed_select(schema: TableSchema, raw: Stored) -> str:
    """The SELECT behind the typed view of one table."""
    cols = []
    for c in schema.columns:
        st = raw.columns.get(c.name)
        cols.append(f'{column_expr(c, f"r.{_q(c.name)}", st)} AS {_q(c.name)}')
    for c in item_columns(schema, raw):
        cols.append(f'{typed_expr("float", f"r.{_q(c)}", raw.columns[c])} AS {_q(c)}')
    return f"SELECT {', '.join(cols)} FROM ({raw.plain_sql}) r"
