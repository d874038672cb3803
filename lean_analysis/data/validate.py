"""Validation of the canonical tables: every problem, each naming table, column, row(s), rule.

``check(tables)`` runs all checks over an open :class:`~.tables.Tables` and returns every
:class:`~.problems.Problem` (``data.validate(source_or_tables)`` opens a source first; see
:mod:`.load`); it never stops at the first. The checks only read: the tables' views and
sources are left as they were opened. The checks are generated from
:data:`~.schemas.SCHEMAS` and run as DuckDB SQL over the files (one scan per table for the
row rules and foreign keys, one grouped scan for the key), so a table larger than memory is
checked the same way:

====================  ====================================================================
rule                  what is checked
====================  ====================================================================
missing table         a required table is absent (optional tables may be absent)
missing column        a schema column is absent (a warning when the column may be empty)
unknown column        a column not in the schema (warning, ignored); in survey_responses a
                      column that is not an ``item_id`` of survey_items (error)
csv format            a CSV row DuckDB cannot read (wrong number of fields, not UTF-8)
not null              an empty value in a column that may not be empty
type <dtype>          a value that does not read as the column's type (``type date`` ...)
finite number         a number that reads but is not finite (``inf``, ``nan``, ``1e400``)
date range            a date that reads but lies outside 1900-01-01 .. 2261-12-31
                      (``infinity``, the year 0025 of ``25-10-22``)
range a–b, range >= a a number outside the column's range
synonyms              a value in the users' own words that is read as an allowed value
                      (area 城网 / 农网 -> urban / rural; a warning counting the rows)
allowed values        a value outside the column's list (e.g. area urban/rural)
foreign key -> t.c    a value missing from the referenced table's column
unique key            two or more rows with the same key
missing weeks         a week inside the order weeks (first .. last Monday) without a single
                      order line, unless closed_weeks lists it (see :mod:`.gaps`)
closed weeks          weeks without order lines that closed_weeks declares closed, and
                      declared weeks that have order lines (a warning counting them)
<table checks>        the schema's row checks, e.g. ``order_qty <= cap_qty``,
                      ``retail_price >= wholesale_price``, ``week is a Monday``,
                      ``items within scale`` (each item value within its scale in survey_items)
====================  ====================================================================

Row numbers count data rows from 1 (the first row below the header). A problem lists at
most :data:`MAX_ROWS` rows and example values, and always the full count (``n_rows``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from lean_analysis.data.gaps import declared_closed, order_weeks, week_gaps, weeks_text
from lean_analysis.data.problems import Problem, first_line
from lean_analysis.data.schemas import DATE_MAX, DATE_MIN, SCHEMAS, TableSchema, column_rule
from lean_analysis.data.sources import RawSource, csv_check_source, csv_without_rows
from lean_analysis.data.sqltypes import (
    _q,
    clean_expr,
    column_expr,
    is_text_type,
    item_columns,
    typed_expr,
    typed_select,
)
from lean_analysis.data.tables import Tables, in_passes, memory_error

MAX_ROWS = 10  # rows and example values listed per problem (the count is always complete)


# --------------------------------------------------------------------------- wording


def rows_text(rows: list[int], n: int, file: str | None = None,
              files: list[str] | None = None) -> str:
    """'row 5', 'rows 5, 9 and 12', or '1,234 rows (first 5, 9, …)'; with the file of each
    row for tables split into parts."""
    if files:
        shown = [f"{r} ({f})" for r, f in zip(rows, files, strict=False)]
    else:
        shown = [str(r) for r in rows]
    of = f" of {file}" if file else ""
    if n <= 0 or not rows:
        return f"{n:,} rows{of}" if n > 0 else f"no rows{of}"
    if n == 1:
        return f"row {shown[0]}{of}"
    if n <= len(rows):
        return f"rows {', '.join(shown[:-1])} and {shown[-1]}{of}"
    return f"{n:,} rows{of} (first {', '.join(shown)}, …)"


def _values_text(values: list, n: int, quote: bool = True) -> str:
    """The subject and verb of a detail: "value 'x' is", "values 'x', 'y' are", "values
    such as 'x', 'y', 'z' are"."""
    distinct: list[str] = []
    for v in values:
        s = "''" if v is None else (f"'{v}'" if quote else str(v))
        if s not in distinct:
            distinct.append(s)
    shown = ", ".join(distinct[:3])
    if n <= 1:
        return f"value {shown} is"
    more = len(distinct) > 3 or n > len(values)
    return f"values such as {shown} are" if more else f"values {shown} are"


_DTYPE_PHRASE = {
    "int": "a whole number",
    "float": "a number",
    "date": "a date (expected YYYY-MM-DD)",
    "bool": "a true/false value (true/false, 1/0, 是/否)",
    "str": "text",
}


@dataclass
class _Check:
    """One row rule of one column, as SQL over the CTE ``t``."""

    column: str
    rule: str
    cond: str  # true where a row breaks the rule
    value: str  # SQL giving the offending value as text (for the message)
    detail: object  # callable(values, n) -> str
    severity: str = "error"


# --------------------------------------------------------------------------- public


@dataclass
class Checked:
    """What the checks found, kept apart from the tables they read.

    ``problems``: those found while opening plus those of every check, table by table.
    ``n_rows``: the data rows of each table's file(s), as the checks counted them (for a
    table whose scan failed, what the source knew on opening). ``reread``: the CSV tables
    that hold rows DuckDB cannot read, as the checks read them (again, without those rows;
    their views still read the files as they are).
    """

    problems: list[Problem] = field(default_factory=list)
    n_rows: dict[str, int] = field(default_factory=dict)
    reread: dict[str, RawSource] = field(default_factory=dict)


def check(t: Tables) -> Checked:
    """Run every check over the open tables ``t``. Its views and sources are left as they
    are; the checks' own reads (CSV rejects, the re-read of a CSV table with unreadable rows)
    go to temporary tables of its connection."""
    checked = Checked(problems=list(t.load_problems),
                      n_rows={name: raw.n_rows for name, raw in t.raw.items()})
    for name in SCHEMAS:
        if name in t.raw:
            checked.problems += _check_table(t, name, checked)
    checked.problems += _week_gaps(t, checked)
    checked.problems += _supply_coverage(t, checked)
    return checked


def run_checks(t: Tables) -> list[Problem]:
    """The problems found while opening ``t`` plus those of every check, table by table."""
    return check(t).problems


def _week_gaps(t: Tables, checked: Checked) -> list[Problem]:
    """Rules ``missing weeks`` and ``closed weeks``: the weeks inside the order weeks
    without a single order line (:mod:`.gaps`), an error unless closed_weeks lists them."""
    if "orders" not in t.raw or any(p.table == "orders" and p.rule == "readable file"
                                    for p in checked.problems):
        return []
    try:
        weeks = order_weeks(t.con, _table_ref(t, "orders", checked))
        closed = [] if any(p.table == "closed_weeks" and p.rule == "readable file"
                           for p in checked.problems) else \
            declared_closed(t.con, t.raw, _table_ref(t, "closed_weeks", checked)) \
            if "closed_weeks" in t.raw else []
    except duckdb.OutOfMemoryException as e:
        raise memory_error(t.con, "Validating table orders (rule missing weeks)", e) from None
    except duckdb.Error:
        return []  # the table's own checks report why it cannot be read
    g = week_gaps(weeks, closed)
    out = []
    span = f"the order weeks {g.first} .. {g.last}"
    if g.missing:
        n = len(g.missing)
        out.append(Problem(
            table="orders", column="week", rows=[], rule="missing weeks", severity="error",
            values=[str(w) for w in g.missing[:MAX_ROWS]],
            message=f"Table orders, column week: {n:,} week{'s' if n > 1 else ''} inside {span} "
                    f"{'have' if n > 1 else 'has'} no order lines ({weeks_text(g.missing)}); "
                    "every figure would read them as zero sales. Export the missing order "
                    "lines, or, if the business was closed those weeks, list their Mondays in "
                    "the table closed_weeks (column week) (rule missing weeks).",
        ))
    if g.closed or g.closed_with_orders:
        parts = []
        if g.closed:
            n = len(g.closed)
            parts.append(f"{n:,} week{'s' if n > 1 else ''} without order lines "
                         f"{'are' if n > 1 else 'is'} declared closed in closed_weeks "
                         f"({weeks_text(g.closed)}); reports count their sales as zero")
        if g.closed_with_orders:
            n = len(g.closed_with_orders)
            parts.append(f"{n:,} week{'s' if n > 1 else ''} declared closed in closed_weeks "
                         f"{'have' if n > 1 else 'has'} order lines "
                         f"({weeks_text(g.closed_with_orders)}); those orders are read as "
                         "they are")
        out.append(Problem(
            table="orders", column="week", rows=[], rule="closed weeks", severity="warning",
            values=[str(w) for w in g.closed[:MAX_ROWS]],
            message=f"Table orders, column week: {'; '.join(parts)} (rule closed weeks).",
        ))
    return out


def _supply_coverage(t: Tables, checked: Checked) -> list[Problem]:
    """Rule ``supply coverage`` (issue 14): the optional table ``supply`` must cover the
    rationed order lines of its own weeks. Inside its span (first .. last week of
    ``supply``), a week in which a specification has order lines with ``cap_qty`` > 0 and no
    supply row is an error (the placement report would compare its caps with no supply).
    Rationed order weeks after the span are a warning that counts them: the other reports
    are unaffected, and the placement report of a month without supply says so."""
    if "supply" not in t.raw or "orders" not in t.raw or any(
            p.table in ("supply", "orders") and p.severity == "error" for p in checked.problems):
        return []
    o, s = _table_ref(t, "orders", checked), _table_ref(t, "supply", checked)
    try:
        span = t.con.execute(f"SELECT min(week), max(week) FROM {s} x").fetchone()
        if span[0] is None:
            return []
        miss = t.con.execute(f"""
            WITH need AS (SELECT DISTINCT CAST(product_id AS VARCHAR) AS product_id, week
                          FROM {o} x WHERE cap_qty > 0),
                 have AS (SELECT DISTINCT CAST(product_id AS VARCHAR) AS product_id, week FROM {s} y)
            SELECT n.product_id, n.week, n.week > ? AS after
            FROM need n ANTI JOIN have h USING (product_id, week)
            WHERE n.week >= ? ORDER BY n.week, n.product_id""", [span[1], span[0]]).fetchall()
    except duckdb.Error:
        return []  # the tables' own checks report why they cannot be read
    out = []
    inside = [(p, w) for p, w, after in miss if not after]
    later = [(p, w) for p, w, after in miss if after]
    if inside:
        n = len(inside)
        ex = "; ".join(f"{p} week {w}" for p, w in inside[:5]) + (" …" if n > 5 else "")
        out.append(Problem(
            table="supply", column="week", rows=[], rule="supply coverage", severity="error",
            values=[f"{p} {w}" for p, w in inside[:MAX_ROWS]],
            message=f"Table supply, columns week and product_id: {n:,} (product, week) "
                    f"pair{'s' if n > 1 else ''} inside the supply weeks {span[0]} .. {span[1]} "
                    f"{'have' if n > 1 else 'has'} rationed order lines (cap_qty > 0) but no "
                    f"supply row ({ex}). Add the missing supply rows (rule supply coverage).",
        ))
    if later:
        weeks = sorted({w for _, w in later})
        out.append(Problem(
            table="supply", column="week", rows=[], rule="supply coverage", severity="warning",
            values=[str(w) for w in weeks[:MAX_ROWS]],
            message=f"Table supply, column week: it ends at {span[1]}, but {len(later):,} "
                    f"(product, week) pair{'s' if len(later) > 1 else ''} of rationed order "
                    f"lines come after it ({len(weeks)} week{'s' if len(weeks) > 1 else ''}: "
                    f"{weeks_text(weeks)}); the placement report of those months has no "
                    "supply to compare the caps with (rule supply coverage).",
        ))
    return out


def _table_ref(t: Tables, name: str, checked: Checked) -> str:
    """SQL reading the typed table ``name``: its view, or for a CSV table with unreadable
    rows, the typed select over the checks' own read of it without them."""
    if name in checked.reread:
        return f"({typed_select(SCHEMAS[name], checked.reread[name])})"
    return _q(name)


# --------------------------------------------------------------------------- one table


def _check_table(t: Tables, name: str, checked: Checked) -> list[Problem]:
    """The problems of one table (``checked.problems``: those of the tables checked before
    it); records its rows (and, for a CSV table with unreadable rows, the read without them)
    in ``checked``."""
    schema = SCHEMAS[name]
    raw = t.raw[name]
    out: list[Problem] = []
    stored = {c: ty for c, ty in raw.columns.items() if c != "_pos"}
    present = [c for c in schema.column_names if c in stored]

    # columns missing / unknown
    for c in schema.columns:
        if c.name not in stored:
            hint = _similar(c.name, stored)
            out.append(Problem(
                table=name, column=c.name, rows=[], rule="missing column",
                severity="warning" if c.nullable else "error",
                message=f"Table {name}, column {c.name}: the column is missing"
                        + (f" (found {hint!r}: names must match exactly)" if hint else "")
                        + ("; it is read as empty" if c.nullable else "")
                        + " (rule missing column).",
            ))
    if not schema.extra_columns_from:
        for c in stored:
            if c not in schema.column_names:
                out.append(Problem(
                    table=name, column=c, rows=[], rule="unknown column", severity="warning",
                    message=f"Table {name}, column {c}: the column is not part of the table "
                            "contract and is ignored (rule unknown column).",
                ))
    for c in schema.columns:
        st = stored.get(c.name)
        if c.dtype == "str" and st is not None and not is_text_type(st):
            out.append(Problem(
                table=name, column=c.name, rows=[], rule="type str", severity="warning",
                message=f"Table {name}, column {c.name}: the file stores it as {st}, but it is "
                        "text; it is read as text (leading zeros may already be lost) "
                        "(rule type str).",
            ))

    checks: list[_Check] = []
    joins: list[str] = []
    for c in schema.columns:
        if c.name in stored:
            checks += _column_checks(t, schema, c, stored[c.name], joins, out, checked)
    checks += _table_checks(schema, present, t.names)
    if schema.extra_columns_from:
        checks += _item_checks(t, schema, raw, out, checked)

    try:
        n_rows, counts, raw = _count_row_checks(t, schema, raw, checks, joins, out, checked)
        dup_hint = _repeated_key_hashes(t, schema, raw)
        if n_rows == 0:
            if schema.required:
                out.append(Problem(
                    table=name, column=None, rows=[], rule="not empty", severity="error",
                    message=f"Table {name}: the required table has no rows (rule not empty).",
                ))
            return out
        out += _row_examples(t, schema, raw, checks, counts, joins)
        if dup_hint > 0:
            out += _unique_key(t, schema, raw)
    except duckdb.OutOfMemoryException as e:
        raise memory_error(t.con, f"Validating table {name}", e) from None
    except duckdb.Error as e:
        first = first_line(e, [*raw.files, t.source])
        out.append(Problem(
            table=name, column=None, rows=[], rule="readable file", severity="error",
            message=f"Table {name}: reading it failed: {first} (rule readable file).",
        ))
    return out


def _similar(name: str, stored: dict) -> str | None:
    for s in stored:
        if s.strip().lower() == name.lower() and s != name:
            return s
    return None


def _raw_ref(col: str) -> str:
    return f't."raw:{col}"'


def _typed_ref(col: str) -> str:
    return f"t.{_q(col)}"


def _column_checks(t: Tables, schema: TableSchema, c, st: str, joins: list[str],
                   out: list[Problem], checked: Checked) -> list[_Check]:
    raw_ref, ref = _raw_ref(c.name), _typed_ref(c.name)
    checks: list[_Check] = []
    if not c.nullable:
        checks.append(_Check(
            c.name, "not null", f"{clean_expr(raw_ref, st)} IS NULL", "NULL",
            lambda v, n: "the value is empty, but the column may not be empty",
        ))
    if c.dtype != "str":
        checks += _type_checks(c.name, c.dtype, raw_ref, ref, st)
    if c.min is not None or c.max is not None:
        conds = []
        if c.min is not None:
            conds.append(f"{ref} < {c.min}")
        if c.max is not None:
            conds.append(f"{ref} > {c.max}")
        rule = column_rule(type(c)(c.name, c.dtype, min=c.min, max=c.max))
        checks.append(_Check(
            c.name, rule, " OR ".join(conds), f"CAST({raw_ref} AS VARCHAR)",
            lambda v, n, lo=c.min, hi=c.max: f"{_values_text(v, n, quote=False)} "
            + (f"outside {_fmt(lo)}–{_fmt(hi)}" if lo is not None and hi is not None
               else f"below the minimum {_fmt(lo)}" if lo is not None
               else f"above the maximum {_fmt(hi)}"),
        ))
    if c.synonyms:
        words = ", ".join("'" + w.replace("'", "''") + "'" for w, _ in c.synonyms)
        reads = ", ".join(f"{w} as {v}" for w, v in c.synonyms)
        checks.append(_Check(
            c.name, "synonyms", f"trim(CAST({raw_ref} AS VARCHAR)) IN ({words})",
            f"CAST({raw_ref} AS VARCHAR)",
            lambda v, n, reads=reads: f"{_values_text(v, n)} the users' words, read as "
                                      f"the table's values ({reads})",
            severity="warning",
        ))
    if c.allowed:
        allowed = ", ".join("'" + a.replace("'", "''") + "'" for a in c.allowed)
        checks.append(_Check(
            c.name, "allowed values", f"{ref} NOT IN ({allowed})", f"CAST({raw_ref} AS VARCHAR)",
            lambda v, n, al=c.allowed: f"{_values_text(v, n)} not one of {', '.join(al)}",
        ))
    if c.references:
        rt, rc = c.references.split(".")
        rule = f"foreign key -> {c.references}"
        unreadable = any(p.table == rt and p.rule == "csv format" for p in checked.problems)
        if rt in t.names and unreadable:
            out.append(Problem(
                table=schema.name, column=c.name, rows=[], rule=rule, severity="warning",
                message=f"Table {schema.name}, column {c.name}: not checked against {rt}, some of "
                        f"whose rows cannot be read (rule {rule}).",
            ))
        elif rt in t.names:
            alias = f"fk{len(joins)}"
            joins.append(f"LEFT JOIN (SELECT DISTINCT {_q(rc)} AS k "
                         f"FROM {_table_ref(t, rt, checked)} "
                         f"WHERE {_q(rc)} IS NOT NULL) {alias} ON {ref} = {alias}.k")
            checks.append(_Check(
                c.name, rule, f"{ref} IS NOT NULL AND {alias}.k IS NULL", ref,
                lambda v, n, rt=rt, rc=rc: f"{_values_text(v, n)} not found in {rt}.{rc}",
            ))
        elif not SCHEMAS[rt].required and not any(
            p.table == rt and p.rule in ("one form per table", "readable file")
            for p in t.load_problems
        ):
            out.append(Problem(
                table=schema.name, column=c.name, rows=[], rule=rule, severity="error",
                message=f"Table {schema.name}, column {c.name}: it refers to table {rt}, which "
                        f"is missing, so its values cannot be checked (rule {rule}).",
            ))
    return checks


def _fmt(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_COMPARE = re.compile(r"(\w+) (>=|<=|>|<) (\w+)")
_NEGATE = {">=": "<", "<=": ">", ">": "<=", "<": ">="}


def _type_checks(column: str, dtype: str, raw_ref: str, ref: str, st: str) -> list[_Check]:
    """The type rule of a column (a value that does not read as ``dtype``) and, for numbers
    and dates, the rule of the values that read but are not allowed: ``finite number``
    (``inf``, ``nan``, ``1e400``) and ``date range`` (``infinity``, the year 0025); those
    are NULL in the typed view (:func:`.sqltypes.typed_expr`)."""
    phrase = _DTYPE_PHRASE[dtype]
    value = f"CAST({raw_ref} AS VARCHAR)"
    if dtype not in ("float", "date"):
        return [_Check(column, f"type {dtype}",
                       f"{clean_expr(raw_ref, st)} IS NOT NULL AND {ref} IS NULL", value,
                       lambda v, n, phrase=phrase: f"{_values_text(v, n)} not {phrase}")]
    read = typed_expr(dtype, raw_ref, st, guard=False)
    if dtype == "float":
        rule = "finite number"
        detail = "a finite number"
    else:
        rule = "date range"
        detail = f"a date between {DATE_MIN} and {DATE_MAX}"
    return [
        _Check(column, f"type {dtype}", f"{clean_expr(raw_ref, st)} IS NOT NULL AND {read} IS NULL",
               value, lambda v, n, phrase=phrase: f"{_values_text(v, n)} not {phrase}"),
        _Check(column, rule, f"{read} IS NOT NULL AND {ref} IS NULL", value,
               lambda v, n, detail=detail: f"{_values_text(v, n)} not {detail}"),
    ]


def _table_checks(schema: TableSchema, present: list[str], tables: list[str] = ()) -> list[_Check]:
    """The schema's named row checks (``TableSchema.checks``) as SQL."""
    out = []
    for ch in schema.checks:
        m = _COMPARE.fullmatch(ch)
        if m:
            a, op, b = m.groups()
            if a in present and b in present:
                A, B = _typed_ref(a), _typed_ref(b)
                out.append(_Check(
                    a, ch, f"{A} IS NOT NULL AND {B} IS NOT NULL AND NOT ({A} {op} {B})",
                    f"concat('{a} ', CAST({_raw_ref(a)} AS VARCHAR), ' {_NEGATE[op]} {b} ', "
                    f"CAST({_raw_ref(b)} AS VARCHAR))",
                    lambda v, n: f"{v[0]}" + (f" (and {n - 1:,} more)" if n > 1 else ""),
                ))
        elif ch == "brand or product_id":
            if "brand" in present and "product_id" in present:
                out.append(_Check(
                    "brand", ch, f"{_typed_ref('brand')} IS NULL AND {_typed_ref('product_id')} IS NULL",
                    "NULL", lambda v, n: "both brand and product_id are empty",
                ))
        elif ch == "week is a Monday":
            if "week" in present:
                w = _typed_ref("week")
                out.append(_Check(
                    "week", ch, f"isodow({w}) <> 1",
                    f"concat(CAST({w} AS VARCHAR), ' (', dayname({w}), ')')",
                    lambda v, n: f"{_values_text(v, n)} not a Monday",
                ))
        elif ch == "product is rationed":
            if "product_id" in present and "orders" in tables:
                pid = _typed_ref("product_id")
                out.append(_Check(
                    "product_id", ch,
                    f"{pid} IS NOT NULL AND {pid} NOT IN (SELECT DISTINCT CAST(product_id AS VARCHAR) "
                    "FROM orders WHERE cap_qty > 0)",
                    f"CAST({pid} AS VARCHAR)",
                    lambda v, n: f"{_values_text(v, n)} not a rationed specification (no order "
                                 "line with cap_qty)",
                ))
        elif ch == "month is the first day":
            if "month" in present:
                mo = _typed_ref("month")
                out.append(_Check(
                    "month", ch, f"day({mo}) <> 1", f"CAST({mo} AS VARCHAR)",
                    lambda v, n: f"{_values_text(v, n)} not the "
                                 "first day of a month",
                ))
        elif ch == "wave is YYYY-MM":
            if "wave" in present:
                wv = _typed_ref("wave")
                out.append(_Check(
                    "wave", ch,
                    f"{wv} IS NOT NULL AND NOT regexp_full_match({wv}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
                    wv, lambda v, n: f"{_values_text(v, n)} not a month written YYYY-MM",
                ))
        elif ch == "items within scale":
            pass  # survey items: _item_checks
        else:
            raise ValueError(f"table {schema.name}: unknown check {ch!r} in the schema")
    return out


def _item_checks(t: Tables, schema: TableSchema, raw: RawSource, out: list[Problem],
                 checked: Checked) -> list[_Check]:
    """survey_responses: each item column is an item of survey_items, numeric, within scale."""
    name, items_table = schema.name, schema.extra_columns_from
    extra = item_columns(schema, raw)
    checks: list[_Check] = []
    if items_table not in t.names:
        if extra or "overall" in raw.columns:
            out.append(Problem(
                table=name, column=None, rows=[], rule="items within scale", severity="error",
                message=f"Table {name}: table {items_table} is missing, so its item columns "
                        f"({', '.join(extra) or 'overall'}) cannot be checked "
                        "(rule items within scale).",
            ))
        return checks
    rows = t.con.execute(
        "SELECT item_id, min(scale_min), min(scale_max) "
        f"FROM {_table_ref(t, items_table, checked)} "
        "WHERE item_id IS NOT NULL GROUP BY item_id"
    ).fetchall()
    scales = {r[0]: (r[1], r[2]) for r in rows}
    for c in extra:
        if c not in scales:
            out.append(Problem(
                table=name, column=c, rows=[], rule="unknown column", severity="error",
                message=f"Table {name}, column {c}: the column is not an item_id of "
                        f"{items_table} (rule unknown column).",
            ))
            continue
        checks += _type_checks(c, "float", _raw_ref(c), _typed_ref(c), raw.columns[c])
    for c in [*extra, "overall"]:
        if c not in raw.columns or c not in scales:
            continue
        lo, hi = scales[c]
        if lo is None or hi is None or not lo < hi:
            continue  # survey_items' own checks report the empty or reversed scale
        ref = _typed_ref(c)
        checks.append(_Check(
            c, "items within scale", f"{ref} < {lo} OR {ref} > {hi}", f"CAST({ref} AS VARCHAR)",
            lambda v, n, lo=lo, hi=hi, c=c: f"{_values_text(v, n, quote=False)} outside the scale "
            f"{lo}–{hi} of item {c} in {items_table}",
        ))
    if "overall" in raw.columns and "overall" not in scales:
        out.append(Problem(
            table=name, column="overall", rows=[], rule="items within scale", severity="warning",
            message=f"Table {name}, column overall: {items_table} has no row 'overall', so its "
                    "scale cannot be checked (rule items within scale).",
        ))
    for item in scales:
        if item not in raw.columns:
            out.append(Problem(
                table=name, column=item, rows=[], rule="missing column", severity="warning",
                message=f"Table {name}, column {item}: item {item} of {items_table} has no "
                        "column; it is read as not asked (rule missing column).",
            ))
    return checks


def _cte(schema: TableSchema, raw: RawSource, columns: list[str] | None = None,
         source: str | None = None) -> str:
    """``t``: the row position (unless ``source`` is given: a plain read without it), the
    stored value (``raw:<col>``) and the typed value of each column present."""
    stored = raw.columns
    sel = ["r._pos AS _pos"] if source is None else []
    extra = item_columns(schema, raw)
    for c in schema.columns:
        if c.name in stored and (columns is None or c.name in columns):
            sel.append(f'r.{_q(c.name)} AS "raw:{c.name}"')
            sel.append(f"{column_expr(c, f'r.{_q(c.name)}', stored[c.name])} AS {_q(c.name)}")
    for c in extra:
        if columns is None or c in columns:
            sel.append(f'r.{_q(c)} AS "raw:{c}"')
            sel.append(f"{typed_expr('float', f'r.{_q(c)}', stored[c])} AS {_q(c)}")
    return f"SELECT {', '.join(sel) or '1 AS _one'} FROM ({source or raw.raw_sql}) r"


def _count_row_checks(t: Tables, schema: TableSchema, raw: RawSource, checks: list[_Check],
                      joins: list[str], out: list[Problem],
                      checked: Checked) -> tuple[int, list[int], RawSource]:
    """Pass 1: the number of rows and of rows breaking each check, in one parallel scan
    without row numbers (the rows are recorded in ``checked.n_rows``). For CSV the scan also
    collects the rows DuckDB cannot read; when there are some they are reported and the
    checks that follow read the table without them: the source returned is then a re-read
    copy (:func:`.sources.csv_without_rows`, kept in ``checked.reread``), else ``raw``."""
    rejects_table = None
    if raw.kind == "csv":
        rejects_table = f"_rej_{schema.name}"
        source = csv_check_source(raw, rejects_table)
    else:
        source = raw.plain_sql
    aggs = ["count(*) AS _n"] + [f"count(*) FILTER (WHERE {ch.cond})" for ch in checks]
    sql = (f"WITH t AS ({_cte(schema, raw, source=source)}) SELECT {', '.join(aggs)} FROM t "
           + " ".join(joins))
    res = t.con.execute(sql).fetchall()[0]
    n_rows, counts = int(res[0]), [int(x or 0) for x in res[1:]]
    checked.n_rows[schema.name] = n_rows
    if rejects_table is not None:
        problems, raw = _csv_rejects(t, raw, rejects_table)
        if raw.skipped_rows:
            checked.reread[schema.name] = raw
        checked.n_rows[schema.name] = n_rows + sum(len(v) for v in raw.skipped_rows.values())
        out += problems
    return n_rows, counts, raw


def _csv_rejects(t: Tables, raw: RawSource, rejects_table: str) -> tuple[list[Problem], RawSource]:
    """After a check scan of a CSV table: the problems of the rows DuckDB could not read,
    and the source to check the table by (when there are some, a read of each file once
    more without them, whose rows map back to file rows through ``skipped_rows``; else
    ``raw``)."""
    con = t.con
    try:
        rejects = con.execute(
            f"SELECT DISTINCT s.file_path, e.line, e.error_type, e.csv_line "
            f"FROM {rejects_table} e JOIN {rejects_table}_scan s USING (scan_id, file_id) "
            "ORDER BY s.file_path, e.line"
        ).fetchall()
    except duckdb.Error:
        rejects = []
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}_scan")
    if not rejects:
        return [], raw
    index = {str(f): i for i, f in enumerate(raw.files)}
    problems = []
    skipped: dict[int, set[int]] = {}
    groups: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for path, line, etype, text in rejects:
        i = index.get(str(path), 0)
        skipped.setdefault(i, set()).add(int(line) - 1)
        groups.setdefault((i, etype), []).append((int(line) - 1, text))
    n_cols = len([c for c in raw.columns if c != "_pos"])
    for (i, etype), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0][0])):
        rows = sorted({r for r, _ in items})
        fname = raw.files[i].name if len(raw.files) > 1 else None
        where = rows_text(rows[:10], len(rows), file=fname)
        if etype == "INVALID ENCODING":
            detail = "the file is not UTF-8 (probably GBK); save it as UTF-8 (Excel: 'CSV UTF-8')"
        else:
            detail = (f"{etype.lower()}: the row does not have the header's {n_cols} fields, "
                      f"e.g. {items[0][1][:80]!r}")
        problems.append(Problem(
            table=raw.name, column=None, rows=rows[:10], n_rows=len(rows), rule="csv format",
            severity="error", files=[fname] * min(len(rows), 10) if fname else [],
            message=f"Table {raw.name}, {where}: {detail}; these rows are left out of the other "
                    "checks (rule csv format).",
        ))
    return problems, csv_without_rows(con, raw, skipped)


def _repeated_key_hashes(t: Tables, schema: TableSchema, raw: RawSource) -> int:
    """A quick hint of repeated keys: rows minus distinct key hashes (> 0 when some key
    repeats, or, with odds of about n²/2⁶⁵, when two keys share a hash; ``_unique_key``
    then checks exactly). A query of its own over the key columns alone: beside the other
    checks, the distinct hashes and the other checks' state competed for DuckDB's memory
    limit and the scan could run out of memory; alone, DuckDB spills it to disk."""
    keys = [k for k in schema.key if k in raw.columns]
    if not keys or len(keys) < len(schema.key):
        return 0
    notnull = " AND ".join(f"{_q(k)} IS NOT NULL" for k in keys)
    hashed = f"hash({', '.join(_q(k) for k in keys)})"
    cte = f"WITH t AS ({_cte(schema, raw, keys, source=raw.plain_sql)}) "

    def count(passes: int) -> int:  # equal keys share a hash, hence a pass: the sum is exact
        return sum(int(t.con.execute(
            f"{cte} SELECT count(*) - count(DISTINCT {hashed}) FROM t WHERE {notnull}"
            + (f" AND {hashed} % {passes} = {i}" if passes > 1 else "")
        ).fetchall()[0][0] or 0) for i in range(passes))

    return in_passes(t.con, count, f"Validating table {schema.name} (rule unique key)")[0]


def _row_examples(t: Tables, schema: TableSchema, raw: RawSource, checks: list[_Check],
                  counts: list[int], joins: list[str]) -> list[Problem]:
    """Pass 2, only for the checks some rows break: their first rows and values."""
    failing = [(i, ch) for i, ch in enumerate(checks) if counts[i] > 0]
    if not failing:
        return []
    aggs = []
    for i, ch in failing:
        f = f"FILTER (WHERE {ch.cond})"
        aggs += [f"min(t._pos, {MAX_ROWS}) {f} AS r{i}",
                 f"arg_min({ch.value}, t._pos, {MAX_ROWS}) {f} AS v{i}"]
    sql = (f"WITH t AS ({_cte(schema, raw)}) SELECT {', '.join(aggs)} FROM t "
           + " ".join(joins))
    res = t.con.execute(sql).fetchall()[0]
    out = []
    for k, (i, ch) in enumerate(failing):
        n = counts[i]
        positions = list(res[2 * k] or [])
        values = [None if v is None else str(v) for v in (res[2 * k + 1] or [])]
        out.append(_problem(schema.name, ch.column, ch.rule, ch.severity, raw, positions, n,
                            ch.detail(values, n), values))
    return out


def _problem(table: str, column: str | None, rule: str, severity: str, raw: RawSource,
             positions: list[int], n: int, detail: str, values: list) -> Problem:
    located = [raw.locate(p) for p in positions]
    rows = [r for _, r in located]
    files = [f for f, _ in located] if len(raw.files) > 1 else []
    where = rows_text(rows, n, files=files)
    col = (f", column{'s' if ',' in column else ''} {column}") if column else ""
    return Problem(
        table=table, column=column, rows=rows, rule=rule, severity=severity, n_rows=n,
        values=[v for v in values if v is not None], files=files,
        message=f"Table {table}{col}, {where}: {detail} (rule {rule}).",
    )


def _unique_key(t: Tables, schema: TableSchema, raw: RawSource) -> list[Problem]:
    """Rows sharing a key: counted in one grouped scan; rows and an example key are looked
    up only when there are duplicates."""
    keys = list(schema.key)
    kq = ", ".join(_q(k) for k in keys)
    notnull = " AND ".join(f"{_q(k)} IS NOT NULL" for k in keys)
    groups, n = t.con.execute(
        f"WITH t AS ({_cte(schema, raw, keys, source=raw.plain_sql)}) "
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM t "
        f"WHERE {notnull} GROUP BY {kq} HAVING count(*) > 1)"
    ).fetchall()[0]
    if not groups:
        return []
    cte = (f"WITH t AS ({_cte(schema, raw, keys)}), "
           f"d AS (SELECT {kq}, count(*) AS n, min(_pos) AS first FROM t WHERE {notnull} "
           f"GROUP BY {kq} HAVING count(*) > 1)")
    label = ", ".join(f"CAST({_q(k)} AS VARCHAR)" for k in keys)
    first_key, first_n = t.con.execute(
        f"{cte} SELECT arg_min(concat_ws(', ', {label}), first), arg_min(n, first) FROM d"
    ).fetchall()[0]
    on = " AND ".join(f"t.{_q(k)} = d.{_q(k)}" for k in keys)
    positions = t.con.execute(
        f"{cte} SELECT min(t._pos, {MAX_ROWS}) FROM t SEMI JOIN d ON {on}"
    ).fetchall()[0][0]
    n = int(n)
    detail = (f"key ({', '.join(keys)}) = ({first_key}) appears {int(first_n)} times"
              + (f"; {n:,} rows share {int(groups):,} duplicated keys" if groups > 1 else ""))
    return [_problem(schema.name, ", ".join(keys), "unique key", "error", raw, list(positions),
                     n, detail, [first_key])]
