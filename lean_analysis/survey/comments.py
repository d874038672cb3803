"""Customers' free-text comments (Chinese): segmentation, keywords, complaint themes, examples.

Segmentation is jieba's (its dictionary ships with the package, so it works offline) through
a private ``jieba.Tokenizer`` with the theme keywords added, so the global jieba state is
left alone. Themes are found by keyword: a comment mentions a theme when one of the theme's
keywords occurs in it. Each mention has a SENTIMENT, from the clauses (text between
，。；！？ etc.) that hold one of the theme's keywords:

1. ``complaint`` when such a clause holds a negative marker (:data:`NEGATIVE_MARKERS`: 慢,
   不够, 断货 …) or a negated praise word (不/没/未/无 within two characters before a word of
   :data:`PRAISE_MARKERS`: 不方便, 不及时, 没有到位);
2. else ``praise`` when such a clause holds a praise word (方便, 及时, 准时, 充足, 公平 …:
   "订货很方便" praises ordering, it is no ordering complaint);
3. else ``neutral`` (the theme is named without a judgement: "货源 & 服务都还行").

A complaint in any of the comment's clauses on the theme makes the mention a complaint. The
rule is checked against the planted complaint and praise comments of the sample generator
(tests/test_survey_comments.py). That is a transparent heuristic, not a sentiment model;
the dictionaries are parameters.

All functions return the RAW comment text; escaping for HTML is the report's job.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

import pandas as pd

__all__ = [
    "THEMES",
    "NEGATIVE_MARKERS",
    "PRAISE_MARKERS",
    "SENTIMENTS",
    "clause_sentiment",
    "STOP_WORDS",
    "tokenize",
    "comment_themes",
    "theme_counts",
    "keywords_by_dimension",
    "example_comments",
]

# theme -> (dimension, keywords). Dimension names are those of survey_items.
THEMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "货源紧张": ("货源供应", ("货源", "紧俏", "断货", "缺货", "货少", "不够卖", "投放", "限量",
                          "供应", "配额", "订不到", "畅销")),
    "订货不便": ("订货服务", ("订货", "订单", "系统", "网上", "卡顿", "登录", "APP", "app",
                          "下单", "结算", "扣款")),
    "配送问题": ("配送服务", ("送货", "配送", "送货员", "到货", "破损", "送错", "送达",
                          "物流", "送烟")),
    "客户经理": ("客户经理服务", ("客户经理", "经理", "拜访", "走访", "上门", "来店", "指导")),
    "品牌宣传": ("品牌宣传", ("宣传", "促销", "新品", "品牌", "陈列", "海报", "推广", "培育",
                          "物料")),
    "投诉处理": ("投诉处理", ("投诉", "举报", "答复")),
    "市场秩序": ("市场管理", ("假烟", "私烟", "违规", "秩序", "乱价", "窜货", "价格", "无证",
                          "市场")),
}

# A clause holding one of these (with a theme keyword) is a complaint. Some keywords are
# complaints by themselves (断货, 假烟 …) and are listed here too.
NEGATIVE_MARKERS: tuple[str, ...] = (
    "慢", "不足", "不够", "差", "缺", "晚", "难", "不及时", "没有", "没", "太少", "少", "问题",
    "不好", "不满", "希望", "建议", "断", "贵", "乱", "不到", "不能", "麻烦", "卡", "错",
    "不准", "破", "不稳定", "不方便", "不理", "拖", "很久", "不来", "不清楚", "不公", "短",
    "不通", "不固定", "不懂", "假烟", "私烟", "无证", "延误", "混乱",
)

# A clause on a theme holding one of these (and no negative marker, not negated) praises it.
PRAISE_MARKERS: tuple[str, ...] = (
    "方便", "快", "准时", "及时", "负责", "热情", "专业", "充足", "公平", "满意", "越来越好",
    "好", "到位", "规范", "有效", "周到", "耐心", "经常来", "畅通", "清楚",
)
SENTIMENTS = ("complaint", "praise", "neutral")
_NEGATED = ("不", "没", "未", "无")

STOP_WORDS: frozenset[str] = frozenset(
    "的 了 是 我 你 他 她 它 我们 你们 他们 也 都 就 很 还 和 与 及 在 有 要 会 对 能 吧 啊 呢 吗 嘛 "
    "嗯 哦 这 那 这个 那个 这些 那些 一个 一些 比较 非常 特别 有点 一点 但是 但 而且 所以 因为 "
    "可以 没有 不 没 太 又 再 给 让 被 把 从 到 说 上 下 里 中 个 些 啥 什么 怎么 如何 还是 "
    "或者 以及 等 等等 就是 还有 时候 现在 一下 一直 觉得 感觉 希望 建议 能够 能否 已经 目前 "
    "总是 经常 比如 方面 问题 情况".split()
)

_CLAUSE = re.compile(r"[，。；！？、,.;!?\n\r\t…~～]+")
_TOKEN_OK = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
NEGATIONS = frozenset({"不", "没", "没有", "未", "无"})


@lru_cache(maxsize=8)
def _tokenizer(extra: tuple[str, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in extra:
        # a moderate frequency, so that jieba keeps the keyword whole (卖 | 假烟, not 卖假 | 烟)
        tk.add_word(w, freq=max(tk.FREQ.get(w) or 0, 2000))
    return tk


def _theme_words(themes: Mapping[str, tuple[str, Iterable[str]]]) -> tuple[str, ...]:
    return tuple(sorted({k for _, kws in themes.values() for k in kws}))


def _texts(df: pd.DataFrame | pd.Series, text: str) -> pd.Series:
    if isinstance(df, pd.Series):
        s = df
    else:
        if text not in df.columns:
            raise KeyError(f"survey_responses: no column {text!r}")
        s = df[text]
    return s.where(s.notna(), "").astype(str).str.strip()


def tokenize(texts: pd.Series | Iterable[str], stop_words: Iterable[str] | None = None,
             themes: Mapping[str, tuple[str, Iterable[str]]] | None = None,
             cjk_only: bool = True) -> pd.Series:
    """jieba tokens of each text (precise mode), without stop words, punctuation, digits and
    whitespace; with ``cjk_only`` (default) only tokens holding a Chinese character (drops
    markup such as ``<b>`` and stray Latin letters). A negation (不, 没, 没有, 未, 无) is
    joined to the word after it, so 不公平 stays 不公平 rather than losing its 不 as a stop
    word. The theme keywords are added to the tokenizer's dictionary so they stay whole.
    Empty/missing text gives an empty list.

    Example: "送货太慢了，紧俏烟货源不足" → ['送货', '太慢', '紧俏', '烟', '货源', '不足'].
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts))
    stop = STOP_WORDS if stop_words is None else frozenset(stop_words)
    tk = _tokenizer(_theme_words(THEMES if themes is None else themes))
    out = []
    for t in s.where(s.notna(), "").astype(str):
        ok = _CJK if cjk_only else _TOKEN_OK
        words: list[str] = []
        for w in tk.lcut(t):
            if words and words[-1] in NEGATIONS and _CJK.search(w):
                words[-1] += w
            else:
                words.append(w)
        out.append([w for w in words if ok.search(w) and w.strip() not in stop])
    return pd.Series(out, index=s.index, name="tokens")


def clause_sentiment(clause: str, negative: Iterable[str] | None = None,
                     praise: Iterable[str] | None = None) -> str:
    """The sentiment of one clause: ``"complaint"`` (a negative marker, or a praise word
    negated by 不/没/未/无 up to two characters before it), ``"praise"`` (a praise word) or
    ``"neutral"``.

    >>> clause_sentiment("订货很方便"), clause_sentiment("订货不方便"), clause_sentiment("订货")
    ('praise', 'complaint', 'neutral')
    >>> clause_sentiment("好烟总是订不到")   # the negative marker wins
    'complaint'
    """
    neg = NEGATIVE_MARKERS if negative is None else tuple(negative)
    pos = PRAISE_MARKERS if praise is None else tuple(praise)
    if any(m in clause for m in neg):
        return "complaint"
    found = False
    for w in pos:
        start = clause.find(w)
        while start >= 0:
            if any(n in clause[max(0, start - 2):start] for n in _NEGATED):
                return "complaint"
            found = True
            start = clause.find(w, start + 1)
    return "praise" if found else "neutral"


def comment_themes(
    df: pd.DataFrame | pd.Series,
    text: str = "comment",
    themes: Mapping[str, tuple[str, Iterable[str]]] | None = None,
    negative: Iterable[str] | None = None,
    praise: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per (comment, theme mentioned): ``row`` (index label of the comment),
    ``theme``, ``dimension``, ``sentiment`` (complaint / praise / neutral, the module's
    rule: a complaint in any of the theme's clauses wins, then praise), ``complaint``
    (sentiment is complaint), ``keyword`` (first matching keyword), ``clauses`` (the clauses
    holding a keyword, joined by "，") and ``comment`` (raw text)."""
    themes = THEMES if themes is None else themes
    neg = tuple(NEGATIVE_MARKERS if negative is None else negative)
    pos = tuple(PRAISE_MARKERS if praise is None else praise)
    s = _texts(df, text)
    rows = []
    for idx, t in s.items():
        if not t:
            continue
        clauses = [c for c in _CLAUSE.split(t) if c]
        for theme, (dim, kws) in themes.items():
            hit = next((k for k in kws if k in t), None)
            if hit is None:
                continue
            mine = [c for c in clauses if any(k in c for k in kws)]
            moods = {clause_sentiment(c, neg, pos) for c in mine}
            sentiment = next((m for m in SENTIMENTS if m in moods), "neutral")
            rows.append({"row": idx, "theme": theme, "dimension": dim, "sentiment": sentiment,
                         "complaint": sentiment == "complaint", "keyword": hit,
                         "clauses": "，".join(mine), "comment": t})
    return pd.DataFrame(rows, columns=["row", "theme", "dimension", "sentiment", "complaint",
                                       "keyword", "clauses", "comment"])


def theme_counts(
    df: pd.DataFrame | pd.Series,
    text: str = "comment",
    themes: Mapping[str, tuple[str, Iterable[str]]] | None = None,
    negative: Iterable[str] | None = None,
    praise: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per theme: dimension, ``mentions`` (comments naming the theme) split by sentiment
    into ``complaints``, ``praise`` and ``neutral`` (:func:`comment_themes`; they add up to
    mentions), the shares of mentions and complaints of the non-empty comments; sorted by
    complaints. A theme's name (货源紧张, 订货不便 …) names its complaints: only the
    ``complaints`` column counts them. ``attrs``: n_comments (non-empty), n_empty,
    n_unthemed (non-empty comments matching no theme)."""
    themes = THEMES if themes is None else themes
    s = _texts(df, text)
    n_comments = int((s != "").sum())
    m = comment_themes(s, themes=themes, negative=negative, praise=praise)
    base = pd.DataFrame({"theme": list(themes), "dimension": [d for d, _ in themes.values()]})
    m = m.assign(is_praise=m["sentiment"] == "praise", is_neutral=m["sentiment"] == "neutral")
    g = m.groupby("theme").agg(mentions=("row", "nunique"), complaints=("complaint", "sum"),
                               praise=("is_praise", "sum"), neutral=("is_neutral", "sum"))
    cnt = ["mentions", "complaints", "praise", "neutral"]
    out = base.merge(g, left_on="theme", right_index=True, how="left").fillna(
        {c: 0 for c in cnt})
    out = out.astype({c: int for c in cnt})
    denom = max(n_comments, 1)
    out["mention_share"] = out["mentions"] / denom
    out["complaint_share"] = out["complaints"] / denom
    out = out.sort_values(["complaints", "mentions"], ascending=False, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(n_comments=n_comments, n_empty=int((s == "").sum()),
                     n_unthemed=n_comments - int(m["row"].nunique()) if len(m) else n_comments)
    return out


def keywords_by_dimension(
    df: pd.DataFrame | pd.Series,
    text: str = "comment",
    top: int = 10,
    themes: Mapping[str, tuple[str, Iterable[str]]] | None = None,
    stop_words: Iterable[str] | None = None,
    complaints_only: bool = False,
) -> pd.DataFrame:
    """Most frequent jieba tokens of the clauses that mention each dimension's themes
    (document frequency: in how many comments a token occurs in such a clause). Columns:
    dimension, rank, token, comments. Ties are broken by the token's text, so the order is
    reproducible."""
    themes = THEMES if themes is None else themes
    s = _texts(df, text)
    m = comment_themes(s, themes=themes)
    if complaints_only:
        m = m[m["complaint"]]
    toks = tokenize(m["clauses"], stop_words=stop_words, themes=themes)
    rows = []
    for dim in dict.fromkeys(d for d, _ in themes.values()):
        sel = (m["dimension"] == dim).to_numpy()
        per_row: dict = {}
        for r, tk in zip(m["row"][sel], toks[sel], strict=True):
            per_row.setdefault(r, set()).update(tk)
        c = Counter(w for ws in per_row.values() for w in ws)
        for r, (w, k) in enumerate(sorted(c.items(), key=lambda x: (-x[1], x[0]))[:top], 1):
            rows.append({"dimension": dim, "rank": r, "token": w, "comments": k})
    return pd.DataFrame(rows, columns=["dimension", "rank", "token", "comments"])


def example_comments(
    df: pd.DataFrame,
    text: str = "comment",
    theme: str | None = None,
    dimension: str | None = None,
    n: int = 3,
    complaints_only: bool = True,
    seed: int = 0,
    columns: Iterable[str] = (),
    themes: Mapping[str, tuple[str, Iterable[str]]] | None = None,
) -> pd.DataFrame:
    """Up to ``n`` distinct example comments per theme (or only ``theme`` / ``dimension``),
    drawn reproducibly with ``seed``; RAW text (escape it when displaying). ``columns`` adds
    respondent columns (e.g. wave, customer_id). Columns: theme, dimension, sentiment,
    complaint, comment, plus ``columns``."""
    m = comment_themes(df, text=text, themes=themes)
    if theme is not None:
        m = m[m["theme"] == theme]
    if dimension is not None:
        m = m[m["dimension"] == dimension]
    if complaints_only:
        m = m[m["complaint"]]
    m = m.drop_duplicates(subset=["theme", "comment"])  # one example per distinct text
    parts = [g.sample(n=min(n, len(g)), random_state=seed).sort_values("row")
             for _, g in m.groupby("theme", sort=False)]
    out = pd.concat(parts) if parts else m.iloc[:0]
    cols = list(columns)
    if cols and isinstance(df, pd.DataFrame):
        out = out.join(df[cols], on="row")
    return out[["theme", "dimension", "sentiment", "complaint", "comment", *cols]].reset_index(drop=True)
