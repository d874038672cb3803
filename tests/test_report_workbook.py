"""The report's workbook: every table show.table displayed, in full, one sheet each."""

from __future__ import annotations

import numpy as np
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook, new_output
from openpyxl import load_workbook

from lean_analysis.report import show, workbook
from lean_analysis.report.html import TABLE_MIME


def _out(markup, payload=None):
    data = {"text/html": markup}
    if payload is not None:
        data[TABLE_MIME] = payload
    return new_output("display_data", data=data)


def test_every_table_becomes_a_sheet(tmp_path):
    big = pd.DataFrame({"品规": [f"P{i}" for i in range(40)], "share": np.linspace(0, 1, 40)})
    small = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="k"))
    cell = new_code_cell("x")
    cell.outputs = [_out(show.heading_html("按品牌 / 档位")),
                    _out(show.table_html(big, percent=["share"]), show.table_payload(big, percent=["share"])),
                    _out(show.table_html(small, caption="小表"), show.table_payload(small, caption="小表"))]
    hidden = new_code_cell("y", metadata={"tags": ["remove_cell"]})
    hidden.outputs = [_out("", show.table_payload(small))]
    nb = new_notebook(cells=[cell, hidden])
    path = workbook.write_workbook(nb, tmp_path / "r.xlsx", "zh")
    wb = load_workbook(path)
    assert wb.sheetnames == ["目录", "1 按品牌   档位", "2 小表"]
    ws = wb["1 按品牌   档位"]
    assert ws.max_row == 41 and ws["A1"].value == "品规" and ws["B41"].value == 1.0
    assert ws["B2"].number_format == "0.0%"
    assert [c.value for c in wb["2 小表"][2]] == ["a", 1]
    assert [c.value for c in wb["目录"][2]] == ["1 按品牌   档位", "按品牌 / 档位", 40]
    # no table: no workbook (and a stale one is removed)
    assert workbook.write_workbook(new_notebook(), path) is None and not path.exists()


def test_the_runner_call(tmp_path):
    import nbformat

    cell = new_code_cell("x")
    df = pd.DataFrame({"a": range(3)})
    cell.outputs = [_out(show.table_html(df), show.table_payload(df))]
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "r1.ipynb")
    assert workbook.write_report_workbook(tmp_path, "r1", "en") == "r1.xlsx"
    assert load_workbook(tmp_path / "r1.xlsx").sheetnames == ["Contents", "table 1"]
    (tmp_path / "r2.xlsx").write_bytes(b"stale")
    assert workbook.write_report_workbook(tmp_path, "r2") is None and not (tmp_path / "r2.xlsx").exists()
