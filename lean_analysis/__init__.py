"""lean-analysis: the lean-marketing research and reporting workbench.

Analysts import the subpackages by name::

    from lean_analysis import forecast, brand, survey, kpis, data
"""

__version__ = "0.1.0"
