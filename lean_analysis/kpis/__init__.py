"""The lean-marketing indicators of DESIGN §2 and the yearly scorecard of DESIGN §1.

Every function takes a :class:`~lean_analysis.data.tables.Tables` and a month ``period``
(``"YYYY-MM"``) and aggregates the order lines in DuckDB; only small tables (customers,
products, programmes, manager tests) come back to pandas.

Conventions shared by all functions
-----------------------------------
- **Month of an order line**: the month of its ``week`` (the Monday that starts the order
  week). A week starting on Monday 2026-09-28 belongs to September even though most of its
  days fall in October.
- **Covered month**: month ``M`` is covered by the data when the first order week is on or
  before the first Monday of ``M`` and the last order week is on or after the last Monday of
  ``M``. Weeks with no order lines inside that range (e.g. the Spring Festival break) are not
  gaps. An indicator asked for a month that is not covered raises :class:`PeriodNotCovered`;
  a month-on-month or year-on-year comparison whose comparison month is not covered is
  ``NaN`` instead.
- **Ordered**: a customer ordered an item in a month when it has an order line with
  ``order_qty > 0`` in that month. Lines with ``order_qty = 0`` are demand that was not
  supplied (see :func:`stock_out_rate`).
- **Span** (for the indicators that are sums): ``"month"`` = the period only; ``"ytd"`` =
  January of the period's year through the period; ``"all"`` = every order line, no month
  filter (partial months at the ends included); or a pair ``("2026-01", "2026-06")``.
- **Active customers** (DESIGN §2, "ordered in the previous 3 periods"): for period ``M``,
  the customers with at least one order line with ``order_qty > 0`` in the months ``M-3``,
  ``M-2`` and ``M-1`` (for ``M = 2026-10``: July, August and September 2026). The current
  month is *not* part of the window; ``include_current=True`` uses ``M-2 .. M`` instead and
  ``window`` changes the 3.
- Quantities are cartons (条) in the tables; sales are reported in cases (箱,
  ``config.CARTONS_PER_CASE`` = 250 cartons) and value in ¥10k (万元). Shares and rates
  are fractions (0.112, not 11.2).
- Rates per item return the counts they are made of, so that what is excluded is visible.
"""

from lean_analysis.calendar import PeriodNotCovered
from lean_analysis.kpis.caps import (
    demand_fill_rate,
    order_at_cap_share,
    order_fill_rate,
    stock_out_rate,
)
from lean_analysis.kpis.customers import (
    active_customers,
    coverage,
    new_product_coverage,
    repurchase_rate,
    sell_through,
)
from lean_analysis.kpis.figures import fed_figure, figures, target_figure
from lean_analysis.kpis.months import covered_months, is_covered, span_months, window_covered
from lean_analysis.kpis.overview import (
    headline,
    manager_scores,
    monthly_indicators,
    product_indicators,
)
from lean_analysis.kpis.sales import (
    key_brand_share,
    monthly_sales,
    retailer_margin,
    sales,
    sales_value,
    value_per_case,
)
from lean_analysis.kpis.scorecard import (
    DEFAULT_SOURCES,
    SCORECARD_COLUMNS,
    SCORECARD_REASONS,
    STATUS_MET,
    STATUS_NOT_MEASURED,
    STATUS_NOT_MET,
    STATUS_WITHIN_MARGIN,
    convert_unit,
    scorecard,
)

__all__ = ["PeriodNotCovered", "STATUS_MET", "STATUS_NOT_MET", "STATUS_NOT_MEASURED", "STATUS_WITHIN_MARGIN", "DEFAULT_SOURCES", "covered_months", "is_covered", "span_months", "monthly_sales", "sales", "sales_value", "value_per_case", "key_brand_share", "retailer_margin", "active_customers", "coverage", "sell_through", "order_fill_rate", "order_at_cap_share", "repurchase_rate", "stock_out_rate", "demand_fill_rate", "new_product_coverage", "manager_scores", "headline", "monthly_indicators", "product_indicators", "scorecard", "convert_unit", "SCORECARD_COLUMNS", "SCORECARD_REASONS", "window_covered", "figures", "target_figure", "fed_figure"]
