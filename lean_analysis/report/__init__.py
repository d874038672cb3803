"""Everything a reader sees: plot theme, display helpers, wording, metrics, reviewer HTML.

- ``theme``: ``use_theme()`` (CJK font from the ``cvttf-NotoSansCJK-Regular`` package, one
  seaborn/matplotlib style, figure size and resolution);
- ``show``: ``heading``, ``note``, ``info``, ``warning``, ``error``, ``table``, ``figure``,
  ``kpi_cards`` for notebooks (every data value HTML-escaped);
- ``texts``: ``t(key, lang)``, the zh/en wording (``texts/*.yaml``);
- ``metrics``: ``metric()`` and ``write_metrics()`` for ``<report>.metrics.json``;
- ``html``: the reviewer HTML (nbconvert template ``templates/lean``);
- ``failure``: ``ReportFailed``, why a report failed (shown by its HTML, kept in the manifest);
- ``index_pages``: ``outputs/<period>/index.html`` (reports, scorecard headline) and
  ``outputs/index.html`` (the periods).

The report package uses no analysis module; submodules are imported by name
(``from lean_analysis.report import show``) so that importing one stays cheap.
"""
