"""Comments: jieba segmentation (offline dictionary), themes, complaints, raw examples."""

from __future__ import annotations

import pandas as pd

from lean_analysis import survey


def test_tokenize_example():
    toks = survey.tokenize(pd.Series(["送货太慢了，紧俏烟货源不足", None]))
    assert toks.iloc[0] == ["送货", "太慢", "紧俏", "烟", "货源", "不足"]
    assert toks.iloc[1] == []
    # a negation stays with its word; markup and Latin letters are dropped
    assert survey.tokenize(["<b>货源分配不公平</b>"]).iloc[0] == ["货源", "分配", "不公平"]


def test_themes_and_complaints_per_clause():
    df = pd.DataFrame({"comment": ["送货很及时，但是紧俏烟货源不足", "客户经理服务很好",
                                   "假烟问题希望管管", None, ""]})
    m = survey.comment_themes(df)
    got = {(r.row, r.theme): r.complaint for r in m.itertuples()}
    # delivery praised in its clause, supply complained about in the other
    assert got == {(0, "配送问题"): False, (0, "货源紧张"): True, (1, "客户经理"): False,
                   (2, "市场秩序"): True}
    counts = survey.theme_counts(df).set_index("theme")
    assert counts.loc["货源紧张", ["mentions", "complaints"]].tolist() == [1, 1]
    assert counts.loc["客户经理", ["mentions", "complaints"]].tolist() == [1, 0]
    assert counts.loc["货源紧张", "complaint_share"] == 1 / 3
    assert counts.attrs == {"n_comments": 3, "n_empty": 2, "n_unthemed": 0}


def test_keywords_by_dimension_from_the_theme_clauses():
    df = pd.DataFrame({"comment": ["送货太慢，货源不足", "送货员态度差，送货太慢", "货源紧张"]})
    kw = survey.keywords_by_dimension(df, top=3)
    deliv = kw[kw["dimension"] == "配送服务"]
    # ties broken by the token's text: 差 (U+5DEE) before 态度, 送货员
    assert deliv[["token", "comments"]].values.tolist() == [["太慢", 2], ["送货", 2], ["差", 1]]
    supply = kw[kw["dimension"] == "货源供应"]
    assert supply["token"].tolist()[0] == "货源" and supply["comments"].tolist()[0] == 2


def test_example_comments_are_raw_and_reproducible():
    raw = '<script>alert("x")</script>送货太慢 & 货源不足'
    df = pd.DataFrame({"customer_id": ["c1", "c2", "c3"],
                       "comment": [raw, "送货经常晚", "配送很好"]})
    ex = survey.example_comments(df, n=5, columns=["customer_id"])
    assert raw in ex["comment"].tolist()  # unescaped: escaping is the display's job
    assert set(ex["customer_id"]) == {"c1", "c2"}  # "配送很好" is no complaint
    again = survey.example_comments(df, n=1, seed=5)
    assert again.equals(survey.example_comments(df, n=1, seed=5))


def test_sentiment_rule_recovers_the_planted_comments():
    # the sample generator plants complaint and praise comments per dimension
    from lean_analysis.sample import _catalogue as cat

    zh = {key: name for name, key, *_ in cat.DIMENSIONS}
    for planted, texts_by_dim in (("complaint", cat.COMPLAINTS), ("praise", cat.PRAISE)):
        for key, texts in texts_by_dim.items():
            m = survey.comment_themes(pd.Series(list(texts)))
            own = m[m["dimension"] == zh[key]]
            assert sorted(own["row"]) == list(range(len(texts))), (key, texts)
            assert set(m["sentiment"]) == {planted}, m[["comment", "theme", "sentiment"]]


def test_theme_counts_split_mentions_by_sentiment():
    df = pd.DataFrame({"comment": ["订货很方便", "网上订货快", "网上订货系统经常卡顿", "订货不方便",
                                   "订单", "送货准时，但是紧俏烟货源不足"]})
    m = survey.comment_themes(df).set_index(["row", "theme"])["sentiment"]
    assert m[(0, "订货不便")] == "praise" and m[(1, "订货不便")] == "praise"
    assert m[(2, "订货不便")] == "complaint"
    assert m[(3, "订货不便")] == "complaint"            # a negated praise word
    assert m[(4, "订货不便")] == "neutral"
    assert m[(5, "配送问题")] == "praise" and m[(5, "货源紧张")] == "complaint"
    c = survey.theme_counts(df).set_index("theme")
    assert c.loc["订货不便", ["mentions", "complaints", "praise", "neutral"]].tolist() == [5, 2, 2, 1]
    assert (c["complaints"] + c["praise"] + c["neutral"] == c["mentions"]).all()
    assert survey.clause_sentiment("好烟总是订不到") == "complaint"


def test_ordering_theme_on_the_small_sample_counts_complaints_only(small_tables):
    from lean_analysis.sample import _catalogue as cat

    r = small_tables["survey_responses"]
    ans = r[r["wave"] == r["wave"].max()]
    c = survey.theme_counts(ans).set_index("theme")
    # independent count: the planted ordering comments among the answers
    texts = ans["comment"].dropna()
    planted_c = int(texts.isin(cat.COMPLAINTS["ordering"]).sum())
    planted_p = int(texts.isin(cat.PRAISE["ordering"]).sum())
    assert c.loc["订货不便", "complaints"] == planted_c
    assert c.loc["订货不便", "praise"] == planted_p
