"""One accounting of the survey's responses (issue 16 item 10): every count the report prints
comes from ``survey.response_accounting`` and agrees with a raw pandas count of the small
sample, with and without planted problem rows (an all-empty response, a response from a
customer outside the wave's frame, a response without the overall question)."""

from __future__ import annotations

import html
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from lean_analysis import data, survey
from lean_analysis.report import plots_survey as ps

WAVE = "2026-10"
PERIOD = "2026-10"


# --------------------------------------------------------------------------- raw counts
def raw_counts(responses: pd.DataFrame, items: pd.DataFrame, customers: pd.DataFrame,
               wave: str = WAVE) -> dict:
    """The counts computed with plain pandas from the CSV-level tables (no lean_analysis)."""
    day = pd.Timestamp(f"{wave}-01")
    cust = customers.assign(active_from=pd.to_datetime(customers["active_from"]),
                            active_to=pd.to_datetime(customers["active_to"]))
    frame = cust[(cust["active_from"] <= day)
                 & (cust["active_to"].isna() | (cust["active_to"] >= day))]["customer_id"]
    r = responses[responses["wave"].astype(str) == wave]
    questions = items["item_id"].tolist()  # the items and the overall question
    idx_items = items.loc[(items["item_id"] != "overall") & (items["weight"] > 0), "item_id"]
    in_frame = r["customer_id"].isin(frame)
    empty = r[questions].isna().all(axis=1)
    used = r[in_frame & ~empty]
    dims = items[items["item_id"] != "overall"].groupby("dimension")["item_id"].apply(list)
    has_dim = pd.concat({d: used[c].notna().any(axis=1) for d, c in dims.items()}, axis=1)
    return {
        "frame": int(frame.size), "received": len(r), "not_in_frame": int((~in_frame).sum()),
        "all_empty": int((in_frame & empty).sum()), "respondents": len(used),
        "index": int(used[idx_items].notna().any(axis=1).sum()),
        "complete": int(used[idx_items].notna().all(axis=1).sum()),
        "satisfied": int(used["overall"].notna().sum()),
        "drivers": int((has_dim.all(axis=1) & used["overall"].notna()).sum()),
        "per_item": {i: int(used[i].notna().sum()) for i in questions},
        "per_dimension": {d: int(v) for d, v in has_dim.sum().items()},
        "comments": int(used["comment"].fillna("").astype(str).str.strip().ne("").sum()),
    }


def planted(responses: pd.DataFrame, customers: pd.DataFrame, items: pd.DataFrame):
    """The wave's responses with three problem rows: an all-empty response from a frame
    customer who did not answer, a full response from a customer closed before the wave,
    and an existing response without the overall question and one complaint item."""
    day = pd.Timestamp(f"{WAVE}-01")
    start = pd.to_datetime(customers["active_from"])
    end = pd.to_datetime(customers["active_to"])
    frame = customers[(start <= day) & (end.isna() | (end >= day))]["customer_id"]
    closed = customers.loc[end < day, "customer_id"]
    now = responses[responses["wave"] == WAVE]
    quiet = sorted(set(frame) - set(now["customer_id"]))[0]
    assert len(closed) and quiet
    questions = items["item_id"].tolist()
    empty_row = {c: np.nan for c in responses.columns} | {"wave": WAVE, "customer_id": quiet}
    outside = now.iloc[0].to_dict() | {"customer_id": closed.iloc[0]}
    out = pd.concat([responses, pd.DataFrame([empty_row, outside])], ignore_index=True)
    k = out.index[(out["wave"] == WAVE) & out[questions].notna().all(axis=1)][1]
    out.loc[k, ["overall", "complaints_2"]] = np.nan
    return out


@pytest.fixture(scope="module")
def planted_dir(small_dir, tmp_path_factory):
    """The small sample with the planted rows in survey_responses.csv."""
    out = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(small_dir, out)
    raw = pd.read_csv(out / "survey_responses.csv", dtype={"wave": str})
    items = pd.read_csv(out / "survey_items.csv")
    customers = pd.read_csv(out / "customers.csv")
    planted(raw, customers, items).to_csv(out / "survey_responses.csv", index=False)
    return out


def _analysis(tables):
    """The counts the analysis uses (as notebooks/03 builds them)."""
    items, resp, cust = tables["survey_items"], tables["survey_responses"], tables["customers"]
    scored = survey.score_responses(resp, items)
    dims = scored.attrs["dimensions"]
    smp = survey.weighted_sample(scored, cust, WAVE)
    acc = survey.response_accounting(resp, items, cust, WAVE, scored.attrs["item_weights"])
    d = smp.design()
    return acc, smp, {
        "index": survey.design_mean(d, "index"), "satisfied": survey.design_share(d, "satisfied"),
        "dims": survey.design_means(d, dims).set_index("variable")["n"].to_dict(),
        "drivers": survey.driver_importance(smp.data, "overall_score", dims),
    }


def _assert_agree(acc, smp, est, raw):
    for k in ("frame", "received", "respondents", "index", "complete", "satisfied", "drivers"):
        assert getattr(acc, k) == raw[k], k
    assert acc.excluded == {"not_in_frame": raw["not_in_frame"], "all_empty": raw["all_empty"]}
    assert acc.per_item.set_index("item_id")["answered"].to_dict() == raw["per_item"]
    assert acc.per_dimension == raw["per_dimension"]
    # the analysis used exactly these counts
    assert len(smp.data) == raw["respondents"] and smp.excluded == acc.excluded
    assert int(smp.strata["n_h"].sum()) == raw["respondents"]
    assert est["index"].n == raw["index"] and est["satisfied"].n == raw["satisfied"]
    assert est["dims"] == raw["per_dimension"]
    assert est["drivers"].n == raw["drivers"]
    acc.check(smp, index=est["index"], satisfied=est["satisfied"], drivers=est["drivers"])


def test_accounting_of_the_small_sample(small_dir, small_tables, small_truth):
    raw = raw_counts(pd.read_csv(small_dir / "survey_responses.csv", dtype={"wave": str}),
                     pd.read_csv(small_dir / "survey_items.csv"),
                     pd.read_csv(small_dir / "customers.csv"))
    acc, smp, est = _analysis(small_tables)
    _assert_agree(acc, smp, est, raw)
    # the generator's own counts: every sampled customer answered, none outside the frame
    assert acc.respondents == acc.received == small_truth["survey"]["n_respondents"][WAVE]
    assert acc.n_excluded == 0 and acc.complete < acc.index  # some answers are blank


def test_accounting_with_planted_rows(planted_dir, small_truth):
    raw = raw_counts(pd.read_csv(planted_dir / "survey_responses.csv", dtype={"wave": str}),
                     pd.read_csv(planted_dir / "survey_items.csv"),
                     pd.read_csv(planted_dir / "customers.csv"))
    n = small_truth["survey"]["n_respondents"][WAVE]
    assert (raw["received"], raw["not_in_frame"], raw["all_empty"], raw["respondents"]) == (
        n + 2, 1, 1, n)
    assert raw["satisfied"] == n - 1
    tables = data.load(planted_dir, tables=["customers", "survey_items", "survey_responses"])
    acc, smp, est = _analysis(tables)
    _assert_agree(acc, smp, est, raw)
    # the all-empty response is not a respondent of its stratum: the weights are the design's
    got = {f"{r.area}|{r.tier_band}": {"N": r.N_h, "n": r.n_h} for r in smp.strata.itertuples()}
    assert got == small_truth["survey"]["strata"][WAVE]


def test_check_names_the_count_that_disagrees(small_tables):
    acc, smp, est = _analysis(small_tables)
    fake = survey.DesignEstimate(90.0, 1.0, 88.0, 92.0, acc.index - 1, 1.0, 10)
    with pytest.raises(ValueError, match=rf"counts {acc.index} for index but the analysis "
                                         rf"used {acc.index - 1}; rule: one accounting"):
        acc.check(index=fake)


def test_count_words_and_plurals():
    assert ps.count_text(1, "response", "en") == "1 response"
    assert ps.count_text(2, "response", "en") == "2 responses"
    assert ps.count_text(1, "stratum", "en") == "1 stratum"
    assert ps.count_text(6, "stratum", "en") == "6 strata"
    assert ps.count_text(1, "comment", "en") == "1 non-empty comment"
    assert ps.count_text(26, "response", "zh") == "26 份"
    assert ps.n_text(26, "complete", "zh") == "n = 26 份（指数各项均作答）"
    assert ps.n_text(1, "index", "en") == "n = 1 response (at least one index item answered)"


def _page_text(nb, lang: str) -> str:
    from lean_analysis.report.html import render_report

    page = render_report(nb, title="03", period=PERIOD, lang=lang, embed_font=False)
    body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.notebooks
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rendered_page_prints_the_accounting(planted_dir, tmp_path, lang):
    """notebooks/03 on the planted sample: the page's counts are the raw counts, each with
    its base, and metrics.json carries them."""
    import nbformat
    import papermill as pm

    from lean_analysis import config

    out = tmp_path / "out"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "03_satisfaction_survey.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"period": PERIOD, "data_dir": str(planted_dir), "output_dir": str(out),
                    "lang": lang}, cwd=str(tmp_path), progress_bar=False)
    raw = raw_counts(pd.read_csv(planted_dir / "survey_responses.csv", dtype={"wave": str}),
                     pd.read_csv(planted_dir / "survey_items.csv"),
                     pd.read_csv(planted_dir / "customers.csv"))
    text = _page_text(nbformat.read(tmp_path / "run.ipynb", as_version=4), lang)
    r = lambda n: ps.count_text(n, "response", lang)  # noqa: E731
    if lang == "zh":
        assert (f"本期收到答卷 {r(raw['received'])}；按规则剔除 {r(2)}（调查期初不在册 {r(1)}；"
                f"所有题项均未作答 {r(1)}）；计入估计 {r(raw['respondents'])}，代表调查期初在册的"
                f"零售客户 {raw['frame']} 户（6 个分层）") in text
    else:
        assert (f"Responses received this wave: {r(raw['received'])}; left out by rule: {r(2)} "
                f"(customer not active at the start of the wave: {r(1)}; no question answered: "
                f"{r(1)}); used in the estimates: {r(raw['respondents'])}, representing "
                f"{raw['frame']} licensed retailers active at the start of the wave (6 strata)"
                ) in text
    for base in ("index", "satisfied", "drivers"):
        assert ps.n_text(raw[base], base, lang) in text, base
    assert ps.n_text(raw["respondents"], "respondents", lang) in text
    # the accounting table: each count next to its base
    for key in ("received", "not_in_frame", "all_empty", "respondents", "index", "complete",
                "satisfied", "drivers"):
        assert f"{ps.t(f'sv_base_{key}', lang)} {raw[key]} " in text, key
    # the item table counts the responses used (complaints_2 planted blank; the page shows
    # the first 15 rows, the overall question's count is the satisfied share's n above)
    items = pd.read_csv(planted_dir / "survey_items.csv").set_index("item_id")
    for item in ("complaints_2", "supply_1"):
        answered = raw["per_item"][item]
        dim = ps.dim_label(items.loc[item, "dimension"], lang)
        assert (f"{items.loc[item, f'label_{lang}']} {dim} {answered} "
                f"{raw['respondents'] - answered} ") in text, item
    # the comments' counts add up to the responses used
    empty = raw["respondents"] - raw["comments"]
    assert ps.count_text(raw["comments"], "comment", lang) in text
    assert (f"{r(empty)}答卷未留意见" if lang == "zh" else f"({r(empty)} left none)") in text
    doc = json.loads((out / "03_satisfaction_survey.metrics.json").read_text(encoding="utf-8"))
    assert doc["respondents"] == raw["respondents"]
    assert doc["excluded"] == {"not_in_frame": 1, "all_empty": 1}
    assert doc["responses"]["index"] == raw["index"] == doc["figures"]["satisfaction_index"]["n"]
    assert doc["responses"]["satisfied"] == raw["satisfied"] == doc["figures"]["satisfied_share"]["n"]
