"""The canonical tables (DESIGN §3), declared once.

Each table is a :class:`TableSchema`: its columns with type, whether nulls are allowed, a
range or a set of allowed values, and foreign keys. Validation (``lean_analysis.data.validate``)
and the schema reference (``docs``/README) are both generated from these declarations, so
the contract lives in one place.

Types are logical: ``str``, ``int``, ``float``, ``bool``, ``date``. Dates are ISO strings
(``2026-10-05``) or native dates; ``week`` is the Monday that starts the order week and
``month`` the first day of the month. Quantities are in cartons (条), money in ¥.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # str | int | float | bool | date
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    references: str | None = None  # "table.column"
    description: str = ""
    # the users' own words for allowed values, read as those values: ((word, value), ...)
    synonyms: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TableSchema:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    description: str = ""
    # survey_responses has one extra column per survey item; checked against survey_items.
    extra_columns_from: str | None = None
    checks: tuple[str, ...] = field(default_factory=tuple)  # names of row rules, see validate

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column

SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in [
        TableSchema(
            "customers",
            key=("customer_id",),
            description="Licensed retail customers (零售户).",
            columns=(
                C("customer_id", "str"),
                C("customer_name", "str", description="may contain any text; always escaped in HTML"),
                C("area", "str", allowed=("urban", "rural"),
                  synonyms=(("城网", "urban"), ("农网", "rural")),
                  description="城网 urban / 农网 rural (城网 / 农网 are read as urban / rural)"),
                C("tier", "int", min=1, max=30, description="档位 1–30, 30 highest"),
                C("format", "str", description="业态, e.g. 便利店, 食杂店, 超市"),
                C("manager_id", "str", description="客户经理"),
                C("is_modern_terminal", "bool", description="现代终端"),
                C("active_from", "date"),
                C("active_to", "date", nullable=True, description="empty while still licensed"),
            ),
            checks=("active_to >= active_from",),
        ),
        TableSchema(
            "products",
            key=("product_id",),
            description="Cigarette specifications (规格).",
            columns=(
                C("product_id", "str"),
                C("brand", "str", description="e.g. 芙蓉王, 红塔山"),
                C("product_name", "str"),
                C("price_class", "int", min=1, max=5, description="价类 1–5 by allocation price"),
                C("wholesale_price", "float", min=0, description="¥ per carton (条)"),
                C("retail_price", "float", min=0, description="¥ per carton (条)"),
                C("is_key_brand", "bool", description="重点品牌"),
                C("launch_date", "date", nullable=True, description="new products: launch day"),
            ),
            checks=("retail_price >= wholesale_price",),
        ),
        TableSchema(
            "orders",
            key=("week", "customer_id", "product_id"),
            description="Weekly order lines: recorded demand, allocation cap and order.",
            columns=(
                C("week", "date", description="Monday that starts the order week"),
                C("customer_id", "str", references="customers.customer_id"),
                C("product_id", "str", references="products.product_id"),
                C("demand_qty", "float", min=0, description="需求量, cartons"),
                C("cap_qty", "float", nullable=True, min=0,
                  description="合理订购量 (投放上限), cartons; empty = not rationed"),
                C("order_qty", "float", min=0, description="订购量, cartons"),
                C("amount", "float", min=0, description="¥, order_qty × wholesale price"),
            ),
            checks=("order_qty <= cap_qty", "week is a Monday"),
        ),
        TableSchema(
            "manager_forecasts",
            key=("month", "product_id"),
            required=False,
            description="Customer managers' submitted monthly forecasts per specification.",
            columns=(
                C("month", "date", description="first day of the forecast month"),
                C("product_id", "str", references="products.product_id"),
                C("forecast_qty", "float", min=0, description="cartons"),
                C("manager_id", "str", nullable=True),
            ),
            checks=("month is the first day",),
        ),
        TableSchema(
            "shelf_checks",
            key=("date", "customer_id", "product_id"),
            required=False,
            description="Store visits: is the specification on the shelf.",
            columns=(
                C("date", "date"),
                C("customer_id", "str", references="customers.customer_id"),
                C("product_id", "str", references="products.product_id"),
                C("on_shelf", "bool"),
                C("stock_qty", "float", nullable=True, min=0, description="cartons"),
            ),
        ),
        TableSchema(
            "programmes",
            key=("programme_id",),
            required=False,
            description="Brand-cultivation and benchmark-terminal programmes.",
            columns=(
                C("programme_id", "str"),
                C("name", "str"),
                C("brand", "str", nullable=True),
                C("product_id", "str", nullable=True, references="products.product_id"),
                C("start", "date"),
                C("end", "date", nullable=True),
                C("kind", "str", allowed=("cultivation", "terminal")),
            ),
            checks=("end >= start", "brand or product_id"),
        ),
        TableSchema(
            "programme_targets",
            key=("programme_id", "customer_id"),
            required=False,
            description="The target customers of each programme.",
            columns=(
                C("programme_id", "str", references="programmes.programme_id"),
                C("customer_id", "str", references="customers.customer_id"),
            ),
        ),
        TableSchema(
            "survey_items",
            key=("item_id",),
            required=False,
            description="Questionnaire items; the row `overall` gives the overall question's scale.",
            columns=(
                C("item_id", "str"),
                C("dimension", "str", description="货源供应, 订货服务, …; `overall` for the overall item"),
                C("label_zh", "str"),
                C("label_en", "str"),
                C("scale_min", "int"),
                C("scale_max", "int"),
                C("reverse", "bool"),
                C("weight", "float", min=0),
            ),
            checks=("scale_max > scale_min",),
        ),
        TableSchema(
            "survey_responses",
            key=("wave", "customer_id"),
            required=False,
            description="One row per respondent and wave; one column per survey item (Likert, may be empty).",
            extra_columns_from="survey_items",
            columns=(
                C("wave", "str", description="survey month, YYYY-MM"),
                C("customer_id", "str", references="customers.customer_id"),
                C("overall", "float", nullable=True),
                C("comment", "str", nullable=True, description="free text, Chinese; always escaped in HTML"),
            ),
            checks=("items within scale", "wave is YYYY-MM"),
        ),
        TableSchema(
            "manager_tests",
            key=("month", "manager_id"),
            required=False,
            description="Monthly test scores of the customer managers (精益队伍建设).",
            columns=(
                C("month", "date"),
                C("manager_id", "str"),
                C("score", "float", min=0, max=100),
            ),
            checks=("month is the first day",),
        ),
        TableSchema(
            "closed_weeks",
            key=("week",),
            required=False,
            description="Weeks the wholesaler took no orders (e.g. the Spring Festival break): "
                        "a week inside the order weeks without order lines must be listed here, "
                        "else it is an error (rule missing weeks).",
            columns=(
                C("week", "date", description="Monday that starts the closed week"),
                C("reason", "str", nullable=True, description="e.g. 春节"),
            ),
            checks=("week is a Monday",),
        ),
        TableSchema(
            "supply",
            key=("week", "product_id"),
            required=False,
            description="Weekly supply of each rationed specification (货源投放量), placed by the tier caps.",
            columns=(
                C("week", "date", description="Monday that starts the order week"),
                C("product_id", "str", references="products.product_id",
                  description="a rationed specification (its order lines carry cap_qty)"),
                C("supply_qty", "float", min=0, description="cartons available for the week's orders"),
            ),
            checks=("week is a Monday", "product is rationed"),
        ),
    ]
}

REQUIRED_TABLES = [n for n, s in SCHEMAS.items() if s.required]
OPTIONAL_TABLES = [n for n, s in SCHEMAS.items() if not s.required]

# The dates a date column may hold: ``infinity`` and years such as 0025 (``25-10-22``) are
# not dates of the business; pandas' Timestamps end in April 2262.
DATE_MIN = "1900-01-01"
DATE_MAX = "2261-12-31"

# Spellings accepted for bool columns (case-insensitive, surrounding spaces ignored).
TRUE_WORDS = ("true", "t", "1", "1.0", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "0.0", "no", "n", "否")

# What each table-level check (TableSchema.checks) means, in words: used by the schema
# reference and the validation messages. Checks "a op b" compare two columns of a row and
# apply only where both are present.
CHECK_DESCRIPTIONS: dict[str, str] = {
    "active_to >= active_from": "a customer's licence ends on or after it starts",
    "retail_price >= wholesale_price": "the retail price is at least the wholesale price",
    "order_qty <= cap_qty": "where a cap is set, the order does not exceed it",
    "week is a Monday": "`week` is the Monday that starts the order week",
    "month is the first day": "`month` is the first day of its month",
    "end >= start": "a programme ends on or after it starts",
    "brand or product_id": "a programme names a brand or a product (at least one)",
    "scale_max > scale_min": "an item's scale maximum is above its minimum",
    "items within scale": (
        "every item column is an `item_id` of survey_items and its values lie within that "
        "item's scale_min–scale_max"
    ),
    "wave is YYYY-MM": "`wave` is a month written YYYY-MM",
}

DTYPE_WORDS = {
    "str": "text",
    "int": "integer",
    "float": "number",
    "bool": "true/false",
    "date": "date",
}


def column_rule(c: Column) -> str:
    """The range / allowed values / foreign key of a column, in the words validation uses."""
    parts = []
    if c.min is not None and c.max is not None:
        parts.append(f"range {_num(c.min)}–{_num(c.max)}")
    elif c.min is not None:
        parts.append(f"range >= {_num(c.min)}")
    elif c.max is not None:
        parts.append(f"range <= {_num(c.max)}")
    if c.allowed:
        parts.append("one of " + ", ".join(c.allowed))
    if c.references:
        parts.append(f"foreign key -> {c.references}")
    return "; ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def schema_markdown() -> str:
    """The table contract as Markdown (the text of ``lean_analysis/data/TABLES.md``).

    Generated from :data:`SCHEMAS`; a test checks that the committed file equals this text,
    so the reference cannot drift from the code.
    """
    out = [
        "# The table contract",
        "",
        "<!-- Generated by lean_analysis.data.schema_markdown() from lean_analysis/data/schemas.py;",
        "     do not edit by hand. -->",
        "",
        "The workbench reads one folder of tables, or one DuckDB database file holding tables",
        "of the same names. Check a folder with `lean-analysis validate --data DIR`: it lists",
        "every problem with its table, column, row(s) and rule.",
        "",
        "## Files",
        "",
        "- Each table is `<name>.csv`, `<name>.parquet` or `<name>.xlsx` (first sheet), or a",
        "  folder `<name>/` of Parquet or CSV parts with the same columns. Extensions may be",
        "  written in any case (`.CSV`, `.Parquet`, `.XLSX`). A table present in two forms",
        "  (`orders.csv` and `orders.parquet`, or `orders.csv` and `orders.CSV`) is an error.",
        "  A DuckDB file (`.duckdb`, `.db`, any case) holds tables named as below.",
        "- CSV: UTF-8 (with or without BOM), a header row, delimiter `,` (or tab, `;`, `|`,",
        "  detected from the header), `\"` quotes. An empty field is empty (null).",
        "- Column names are exactly as below (snake_case). Extra columns are reported as",
        "  warnings and ignored; a missing column is an error (a warning if the column may be",
        "  empty: it is then read as empty).",
        "- Row numbers in messages count data rows from 1: row 1 is the first row below the",
        "  header (spreadsheet row 2; a CSV record spanning several lines is one row); in a",
        "  DuckDB table, the row in table order.",
        "",
        "## Types",
        "",
        "| type | written as |",
        "|---|---|",
        "| text | any text, kept as written; identifiers (`*_id`) are always read as text, so "
        "`007` stays `007` |",
        "| integer | a whole number, e.g. `12` (`12.0` is accepted) |",
        "| number | a decimal number with `.` as decimal point and no thousands separator; "
        "finite (`inf`, `nan`, `1e400` are errors) |",
        "| true/false | " + " / ".join(f"`{t}`" for t in TRUE_WORDS) + " and "
        + " / ".join(f"`{f}`" for f in FALSE_WORDS) + " (any case) |",
        "| date | `2026-10-05` (also `2026/10/05`; a time of day, as Excel may add, is ignored); "
        f"from {DATE_MIN} to {DATE_MAX} (`infinity` and years such as 0025 are errors) |",
        "",
        "Quantities are in cartons (条; 1 case 箱 = 250 cartons), money in ¥.",
        "",
        "## Weeks without orders",
        "",
        "Every week from the first to the last order week must hold order lines: a week",
        "without any is read as zero sales by every figure, so it is an error (rule",
        "`missing weeks`, naming the Mondays). A week the wholesaler took no orders (the",
        "Spring Festival break, a stock-taking week) is listed by its Monday in the optional",
        "table `closed_weeks`; it is then a warning counting the closed weeks (rule",
        "`closed weeks`), and `data.gaps(tables, start, end)` tells a report which weeks of",
        "its window are closed or missing.",
        "",
        "## Supply coverage",
        "",
        "When the optional table `supply` is given, every week from its first to its last",
        "week in which a specification has order lines with `cap_qty` > 0 must have that",
        "specification's supply row: a missing one is an error (rule `supply coverage`,",
        "naming the product and week). Rationed order weeks after the supply's last week",
        "are a warning that counts the (product, week) pairs: the other reports are",
        "unaffected, and the placement report of such a month refuses it, naming the table.",
        "",
        "## Tables",
        "",
        "| table | required | key | description |",
        "|---|---|---|---|",
    ]
    for s in SCHEMAS.values():
        out.append(
            f"| [`{s.name}`](#{s.name}) | {'yes' if s.required else 'no'} | "
            f"{', '.join(s.key)} | {s.description} |"
        )
    for s in SCHEMAS.values():
        out += ["", f"### {s.name}", "", s.description, ""]
        out.append(f"{'Required' if s.required else 'Optional'}. Key (unique): "
                   + ", ".join(f"`{k}`" for k in s.key) + ".")
        out += ["", "| column | type | may be empty | rule | description |", "|---|---|---|---|---|"]
        for c in s.columns:
            out.append(
                f"| `{c.name}` | {DTYPE_WORDS[c.dtype]} | {'yes' if c.nullable else 'no'} | "
                f"{column_rule(c)} | {c.description} |"
            )
        if s.extra_columns_from:
            out += ["", f"Plus one column per `item_id` of `{s.extra_columns_from}` (numbers, may "
                    "be empty), checked against that item's scale."]
        if s.checks:
            out += ["", "Row checks:", ""]
            out += [f"- {CHECK_DESCRIPTIONS.get(ch, ch)} (`{ch}`)" for ch in s.checks]
    out.append("")
    return "\n".join(out)
