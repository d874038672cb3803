"""Coherent forecasts across levels: reconcile specification, brand, price-class and county
forecasts with Nixtla's ``hierarchicalforecast`` and score each level before and after.

The department plans by specification, brand, price class and county. Bottom-up sums
(:func:`lean_analysis.forecast.aggregate`) are coherent but throw away what a model fitted
directly to a brand or the county total knows; independent forecasts per level are not
coherent (the brands do not add up to the county). Reconciliation maps the base forecasts
of every level ``ŷ`` to coherent ones ``ỹ = S P ŷ`` (``S`` the summing matrix of the grouped
hierarchy, ``P`` the method's projection):

* ``bottom_up``: ``P = [0 | I]``, the specification forecasts summed;
* ``mint_shrink``: MinTrace, ``P = (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹`` with ``W`` the Schäfer–Strimmer
  shrinkage estimate of the covariance of the one-step base-forecast errors
  (Wickramasuriya, Athanasopoulos & Hyndman 2019);
* ``erm``: empirical risk minimisation, ``P`` fitted to past actuals, lasso-penalised
  towards bottom-up (``reg_bu``, Ben Taieb & Koo 2019).

No leakage: the covariance of MinTrace and the fit of ERM at a backtest window use only the
errors of windows whose targets are known at that window's cutoff (``ds ≤ cutoff``); a
window with fewer than ``min_history`` such earlier windows is not reconciled, and every
method, the base forecasts included, is scored on the same windows after that.

>>> from lean_analysis import forecast                                      # doctest: +SKIP
>>> table = forecast.reconcile_levels(bt, series, groups, ["total", "price_class", "brand"],
...                                   model="ensemble")                     # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.series import series_id

METHODS = ("bottom_up", "mint_shrink", "erm")
BASE = "base"
DEFAULT_LEVELS = ("total", "price_class", "brand")
NODE_SEP = "/"
KEYS = ["cutoff", "ds", "step"]


@dataclass
class Hierarchy:
    """A grouped hierarchy of series.

    Attributes
    ----------
    S
        The summing matrix as ``hierarchicalforecast`` takes it: column ``unique_id`` (the
        node keys, upper levels first, the bottom level last) and one 0/1 column per
        bottom series.
    tags
        Level name -> array of node keys of that level (``hierarchicalforecast``'s tags).
    nodes
        One row per node: ``node`` (key), ``level`` (name), ``unique_id`` (the node's series
        id as :func:`lean_analysis.data.series.series_id` names it, as
        :func:`lean_analysis.forecast.aggregate` does), ``n_members``.
    """

    S: pd.DataFrame
    tags: dict
    nodes: pd.DataFrame

    @property
    def bottom(self) -> list[str]:
        return [c for c in self.S.columns if c != "unique_id"]

    def matrix(self) -> np.ndarray:
        return self.S[self.bottom].to_numpy(float)


@dataclass
class LevelsResult:
    """What :func:`reconcile_levels` returns (see there)."""

    table: pd.DataFrame
    scores: pd.DataFrame
    points: pd.DataFrame
    upper_bt: pd.DataFrame
    hierarchy: Hierarchy
    base: pd.DataFrame

    @property
    def overall(self) -> str:
        """The one method recommended for all levels (see :func:`recommend_levels`)."""
        return self.table.attrs["overall"]

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def scope(self, bt: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``bt`` on the points this result scores: the hierarchy's bottom series
        at the scored windows (``attrs["windows"]``; the first ``min_history`` windows are
        history only), of the models that forecast every one of those points (a model that
        cannot fit a member, e.g. seasonal naive on a new product, is left out; the managers
        too when they skipped one). :func:`lean_analysis.forecast.compare_levels` of this
        scope ranks each model's bottom-up sums on the same points as the reconciliations
        (:func:`combine_levels`)."""
        a = self.table.attrs
        members = set(self.hierarchy.S.columns.drop("unique_id").str.split("/", n=1).str[-1])
        windows = pd.to_datetime(pd.Series(a["windows"]))
        keep = bt["unique_id"].astype(str).isin(members) & pd.to_datetime(bt["cutoff"]).isin(windows)
        out = bt[keep]
        # only the models that forecast every member at every scored window and step: their
        # sums are over exactly the hierarchy's members, as the reconciliations are
        need = len(members) * out[["cutoff", "step"]].drop_duplicates().shape[0]
        have = (out[out["forecast"].notna()].drop_duplicates(["model", "unique_id", "cutoff", "step"])
                .groupby("model").size())
        return out[out["model"].isin(have[have == need].index)]


def _level_cols(lv) -> list[str]:
    if lv is None or lv == "total" or (isinstance(lv, list | tuple) and len(lv) == 0):
        return []
    return [lv] if isinstance(lv, str) else list(lv)


def _level_name(lv) -> str:
    cols = _level_cols(lv)
    return "total" if not cols else "×".join(cols)


def hierarchy(groups: pd.DataFrame, levels=DEFAULT_LEVELS, bottom: str = "product_id",
              members=None) -> Hierarchy:
    """The grouped hierarchy of the bottom series ``groups["unique_id"]`` by ``levels``.

    Parameters
    ----------
    groups
        ``unique_id`` (the bottom series, e.g. ``product_id``) and the level columns, one
        row per series: e.g. the products table renamed ``product_id → unique_id``.
    levels
        Upper levels: ``"total"`` and/or columns of ``groups`` (or lists of columns for
        crossed levels), in any order: they are ordered coarse to fine (by their number of
        series, stable), e.g. total, price class, brand. Brands may span several price classes: the hierarchy
        is grouped, not strictly nested, which BottomUp, MinTrace and ERM all accept.
    bottom
        The name of the bottom level (for ``nodes.level`` and the tags).
    members
        The bottom series to include (default: all of ``groups``).

    Returns
    -------
    :class:`Hierarchy`. Node keys are ``"<level>/<series id>"`` (``"total"`` for the total),
    unique across levels even where a brand and a price class read alike.
    """
    if "unique_id" not in groups.columns:
        raise ValueError("groups: missing column 'unique_id' (the bottom series)")
    cols_all = [c for lv in levels for c in _level_cols(lv)]
    missing = sorted(set(cols_all) - set(groups.columns))
    if missing:
        raise ValueError(f"groups: missing level column(s) {missing}")
    g = groups[["unique_id", *dict.fromkeys(cols_all)]].drop_duplicates()
    if members is not None:
        g = g[g["unique_id"].isin(set(members))]
    dup = g["unique_id"].duplicated(keep=False)
    if dup.any():
        uid = g.loc[dup, "unique_id"].iloc[0]
        raise ValueError(f"groups: unique_id={uid!r} belongs to more than one group "
                         "(rule: a series has one value per level column)")
    if g.empty:
        raise ValueError("groups: no bottom series to reconcile")
    g = g.sort_values("unique_id", kind="stable").reset_index(drop=True)
    bottom_ids = g["unique_id"].astype(str).tolist()
    # coarse to fine: the levels in the order of their number of series (total first)
    levels = sorted(levels, key=lambda lv: (len(pd.unique(series_id(g, _level_cols(lv))))
                                            if _level_cols(lv) else 1))
    rows, tags, blocks = [], {}, []
    for lv in levels:
        cols = _level_cols(lv)
        name = _level_name(lv)
        gid = series_id(g, cols) if cols else pd.Series("total", index=g.index)
        ids = sorted(pd.unique(gid))
        keys = [("total" if not cols else f"{name}{NODE_SEP}{i}") for i in ids]
        tags[name] = np.array(keys, dtype=object)
        block = (gid.to_numpy()[None, :] == np.array(ids, dtype=object)[:, None]).astype(float)
        blocks.append(block)
        rows += [{"node": k, "level": name, "unique_id": i, "n_members": int(b.sum())}
                 for k, i, b in zip(keys, ids, block, strict=True)]
    bkeys = [f"{bottom}{NODE_SEP}{u}" for u in bottom_ids]
    tags[bottom] = np.array(bkeys, dtype=object)
    blocks.append(np.eye(len(bottom_ids)))
    rows += [{"node": k, "level": bottom, "unique_id": u, "n_members": 1}
             for k, u in zip(bkeys, bottom_ids, strict=True)]
    nodes = pd.DataFrame(rows)
    if nodes["node"].duplicated().any():
        raise ValueError(f"levels: a level is listed twice ({list(levels)})")
    S = pd.DataFrame(np.vstack(blocks), columns=bkeys)
    S.insert(0, "unique_id", nodes["node"].to_numpy())
    return Hierarchy(S=S, tags=tags, nodes=nodes)


def _reconciler(method: str, lambda_reg: float | None = None):
    from hierarchicalforecast.methods import ERM, BottomUp, MinTrace

    if method == "bottom_up":
        return BottomUp()
    if method == "mint_shrink":
        return MinTrace(method="mint_shrink")
    if method == "erm":
        return ERM(method="reg_bu", lambda_reg=lambda_reg)
    raise ValueError(f"method {method!r}: choose from {list(METHODS)}")


def _mint(S, y_hat, y_hist, f_hist):
    """MinTrace with the shrunk covariance; ``(result, fell_back)``. With very few windows
    the Schäfer–Strimmer estimate can be singular (two windows give a rank-one sample
    covariance); then the shrinkage target itself, the diagonal of error variances
    (MinTrace ``wls_var``), is used."""
    from hierarchicalforecast.methods import MinTrace

    try:
        return MinTrace(method="mint_shrink").fit_predict(
            S=S, y_hat=y_hat, y_insample=y_hist, y_hat_insample=f_hist), False
    except Exception as e:  # hierarchicalforecast raises a bare Exception
        if "ill-conditioned" not in str(e):
            raise
    return MinTrace(method="wls_var").fit_predict(
        S=S, y_hat=y_hat, y_insample=y_hist, y_hat_insample=f_hist), True


def erm_lambda(S: np.ndarray, y_hist: np.ndarray, f_hist: np.ndarray, relative: float) -> float:
    """The ERM (``reg_bu``) lasso penalty ``λ = relative · λ_max``.

    ``λ_max = max |Xᵀ z|`` with ``X = S ⊗ F̂ᵀ`` and ``z = y − X vec(P_BU)`` over the last
    ``h`` history columns as ``hierarchicalforecast`` fits them: the smallest penalty at
    which the lasso keeps ``P = P_BU``. A relative penalty makes one setting work at any
    scale (cartons or cases, one county or a province).
    """
    n_hiers, n_bottom = S.shape
    yi, fi = y_hist[:, -1:], f_hist[:, -1:]
    X = np.kron(S, fi.T)
    pbu = np.zeros_like(S)
    pbu[n_hiers - n_bottom:] = S[n_hiers - n_bottom:]
    z = yi.reshape(-1) - X @ pbu.reshape(-1)
    lam_max = float(np.max(np.abs(X.T @ z))) if z.size else 0.0
    return max(relative * lam_max, 1e-12)


def reconcile(base: pd.DataFrame, hier: Hierarchy, history: pd.DataFrame | None = None,
              method="mint_shrink", erm_relative: float = 1e-3,
              nonnegative: bool = True) -> pd.DataFrame:
    """Coherent forecasts of every node from the base forecasts of one origin.

    ``ỹ = S P ŷ`` (see the module docstring): ``bottom_up`` ``P = [0 | I]``; ``mint_shrink``
    ``P = (Sᵀ Ŵ⁻¹ S)⁻¹ Sᵀ Ŵ⁻¹`` with ``Ŵ = λ̂ diag(Σ̂) + (1 − λ̂) Σ̂`` the Schäfer–Strimmer
    shrinkage of the covariance ``Σ̂`` of the base errors in ``history``; ``erm``
    ``P = argmin ‖Y − S P Ŷ‖² + λ ‖P − P_BU‖₁`` on ``history`` (``reg_bu``; λ from
    :func:`erm_lambda`; ``hierarchicalforecast`` fits it on the last ``h`` history points
    only, i.e. the latest earlier window at ``h = 1``, which is why it is erratic at the
    specification level). With ``nonnegative`` the reconciled bottom forecasts are clipped at
    0 and every level re-summed from them, so the result stays exactly coherent.

    Parameters
    ----------
    base
        ``node, ds, forecast``: one forecast per node (every node of ``hier``) and date.
    hier
        From :func:`hierarchy`.
    history
        ``node, t, y, forecast``: actuals and base forecasts of earlier windows (``t`` any
        sortable key of the target period, one column per ``t`` across every node). Needed
        by ``mint_shrink`` and ``erm``; the caller decides what is "earlier" (no leakage:
        :func:`reconcile_backtest` passes only targets known at the cutoff).
    method
        ``bottom_up``, ``mint_shrink`` or ``erm``; or a list of them (one
        ``hierarchicalforecast`` call for all).
    erm_relative
        ERM's penalty relative to ``λ_max`` (1e-3 by default).

    Returns
    -------
    ``node, ds, forecast`` (reconciled), in ``hier``'s node order; with a list of methods
    also ``method``, one block per method.

    References
    ----------
    Wickramasuriya, S. L., Athanasopoulos, G. & Hyndman, R. J. (2019). Optimal forecast
    reconciliation for hierarchical and grouped time series through trace minimization.
    *Journal of the American Statistical Association* 114(526), 804–819.
    Ben Taieb, S. & Koo, B. (2019). Regularized regression for hierarchical forecasting
    without unbiasedness conditions. *KDD '19*, 1337–1347.
    Schäfer, J. & Strimmer, K. (2005). A shrinkage approach to large-scale covariance matrix
    estimation. *Statistical Applications in Genetics and Molecular Biology* 4(1).
    """
    many = not isinstance(method, str)
    methods = list(method) if many else [method]
    nodes = hier.S["unique_id"].tolist()
    b = base[["node", "ds", "forecast"]]
    missing = sorted(set(nodes) - set(b["node"]))
    if missing:
        raise ValueError(f"base: no forecast for node(s) {missing[:5]} ({len(missing)} nodes)")
    if b["forecast"].isna().any():
        n = b.loc[b["forecast"].isna(), "node"].iloc[0]
        raise ValueError(f"base: column 'forecast' is NaN for node {n!r} "
                         "(rule: every node needs a forecast)")
    wide = b.pivot(index="node", columns="ds", values="forecast").loc[nodes]
    y_hist = f_hist = None
    if history is not None and not history.empty:
        h = history[history["node"].isin(set(nodes))]
        y_hist = h.pivot(index="node", columns="t", values="y").loc[nodes].to_numpy(float)
        f_hist = h.pivot(index="node", columns="t", values="forecast").loc[nodes].to_numpy(float)
    res = reconcile_arrays(hier.matrix(), wide.to_numpy(float), y_hist, f_hist, methods,
                           erm_relative=erm_relative, nonnegative=nonnegative)
    parts = []
    for m in methods:
        out = pd.DataFrame(res[m], index=pd.Index(nodes, name="node"), columns=wide.columns)
        out = out.stack().rename("forecast").reset_index()
        parts.append(out.assign(method=m) if many else out)
    return pd.concat(parts, ignore_index=True)


def reconcile_arrays(S: np.ndarray, y_hat: np.ndarray, y_hist: np.ndarray | None = None,
                     f_hist: np.ndarray | None = None, methods=METHODS,
                     erm_relative: float = 1e-3, nonnegative: bool = True) -> dict:
    """:func:`reconcile` on arrays: ``S`` (nodes × bottom, bottom rows last), ``y_hat``
    (nodes × dates), the history's actuals and base forecasts (nodes × earlier points).
    Calls each ``hierarchicalforecast`` reconciler's ``fit_predict`` (what
    ``HierarchicalReconciliation.reconcile`` calls, without its frame handling). Returns
    method -> reconciled nodes × dates (clipped and re-summed with ``nonnegative``); key
    ``"_mint_diagonal"`` when MinTrace fell back to the diagonal (see :func:`_mint`).

    Examples
    --------
    A total over two series; base forecasts 10 (total), 4 and −1: bottom-up sums the
    bottom (4 + (−1) = 3), clipping first sets −1 to 0, so the total is 4.

    >>> S = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> reconcile_arrays(S, np.array([[10.0], [4.0], [-1.0]]), methods=["bottom_up"],
    ...                  nonnegative=False)["bottom_up"].ravel().tolist()
    [3.0, 4.0, -1.0]
    >>> reconcile_arrays(S, np.array([[10.0], [4.0], [-1.0]]), methods=["bottom_up"])["bottom_up"].ravel().tolist()
    [4.0, 4.0, 0.0]
    """
    n_hiers, n_bottom = S.shape
    out = {}
    for m in methods:
        lam = None
        if m != "bottom_up":
            if y_hist is None or f_hist is None or y_hist.shape[1] == 0:
                raise ValueError(f"reconcile: method {m!r} needs history (earlier windows' errors)")
            if not (np.isfinite(y_hist).all() and np.isfinite(f_hist).all()):
                raise ValueError("history: actuals and forecasts must be complete for every node")
        if m == "erm":
            lam = erm_lambda(S, y_hist, f_hist, erm_relative)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if m == "bottom_up":
                r = _reconciler(m).fit_predict(S=S, y_hat=y_hat)
            elif m == "mint_shrink":
                r, fell_back = _mint(S, y_hat, y_hist, f_hist)
                if fell_back:
                    out["_mint_diagonal"] = True
            else:
                r = _reconciler(m, lam).fit_predict(S=S, y_hat=y_hat, y_insample=y_hist,
                                                    y_hat_insample=f_hist)
        y = np.asarray(r["mean"], dtype=float)
        if nonnegative:
            y = S @ np.clip(y[n_hiers - n_bottom:], 0, None)
        out[m] = y
    return out


def stack_levels(bt: pd.DataFrame, hier: Hierarchy, upper_bt: pd.DataFrame | None,
                 model: str, upper_model: str | None = None) -> pd.DataFrame:
    """The base forecasts of every node in one frame: the bottom rows of ``bt`` (model
    ``model``) and the upper-level rows of ``upper_bt`` (whose ``unique_id`` are node keys;
    model ``upper_model``, default ``model``).

    Returns ``node, level, unique_id, cutoff, ds, step, y, forecast``.
    """
    nodes = hier.nodes
    bottom_level = nodes["level"].iloc[-1]
    b = bt[bt["model"] == model][["unique_id", *KEYS, "y", "forecast"]]
    bmap = nodes[nodes["level"] == bottom_level].set_index("unique_id")["node"]
    b = b[b["unique_id"].astype(str).isin(bmap.index)].copy()
    b["node"] = b["unique_id"].astype(str).map(bmap)
    parts = [b]
    if upper_bt is not None:
        u = upper_bt[upper_bt["model"] == (upper_model or model)][["unique_id", *KEYS, "y", "forecast"]]
        u = u[u["unique_id"].isin(set(nodes["node"]))].rename(columns={"unique_id": "node"})
        parts.append(u)
    out = pd.concat(parts, ignore_index=True)
    out = out.drop(columns="unique_id", errors="ignore").merge(
        nodes[["node", "level", "unique_id"]], on="node", how="left")
    for c in ("cutoff", "ds"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    return out[["node", "level", "unique_id", *KEYS, "y", "forecast"]]


def reconcile_backtest(base: pd.DataFrame, hier: Hierarchy, methods=METHODS,
                       min_history: int = 3, erm_relative: float = 1e-3,
                       nonnegative: bool = True) -> pd.DataFrame:
    """Reconcile every window of a stacked backtest (from :func:`stack_levels`).

    For each cutoff ``c`` (in date order) the history is every earlier window all of whose
    targets are known at ``c`` (``ds ≤ c``): their actuals and base forecasts, the only
    errors MinTrace's covariance and ERM's fit see. Windows with fewer than
    ``min_history`` such windows, or without a base forecast for every node, are not
    reconciled (counted in ``attrs``). Where MinTrace's shrunk covariance is singular (too
    few windows) it uses the diagonal of the error variances (``attrs["mint_diagonal_windows"]``).

    Returns
    -------
    ``node, level, unique_id, cutoff, ds, step, method, y, forecast``: ``method`` is
    ``"base"`` (the base forecasts, incoherent above the bottom) and each of ``methods``,
    all on the same windows. ``attrs``: ``min_history``, ``windows`` (cutoffs reconciled),
    ``skipped_windows`` (cutoff → reason).
    """
    nodes = hier.S["unique_id"].tolist()
    Smat = hier.matrix()
    base = base[base["node"].isin(set(nodes))]
    methods = list(methods)
    cols = ["node", "level", "unique_id", *KEYS, "method", "y", "forecast"]
    dup = base.duplicated(["node", *KEYS])
    if dup.any():
        r = base[dup].iloc[0]
        raise ValueError(f"base: two rows for node {r['node']!r}, cutoff {r['cutoff']}, ds {r['ds']} "
                         "(rule: one forecast per node and point)")
    wide = base.set_index(["node", *KEYS])[["forecast", "y"]].unstack(KEYS).reindex(nodes)
    wf, wy = wide["forecast"], wide["y"]
    wy = wy.reindex(columns=wf.columns)
    F, Y = wf.to_numpy(float), wy.to_numpy(float)
    keys = wf.columns.to_frame(index=False)
    ok_col = np.isfinite(F).all(axis=0) & np.isfinite(Y).all(axis=0)
    cutoffs = sorted(pd.unique(keys["cutoff"]))
    win_ok = {c: bool(ok_col[(keys["cutoff"] == c).to_numpy()].all()) for c in cutoffs}
    last_ds = keys.groupby("cutoff")["ds"].max()
    meta = hier.nodes.set_index("node").loc[nodes, ["level", "unique_id"]]
    parts, done, skipped, diagonal = [], [], {}, []
    for c in cutoffs:
        if not win_ok[c]:
            skipped[str(pd.Timestamp(c).date())] = "incomplete"
            continue
        earlier = [w for w in cutoffs if w < c and win_ok[w] and last_ds.loc[w] <= c]
        if len(earlier) < min_history:
            skipped[str(pd.Timestamp(c).date())] = "history"
            continue
        now = (keys["cutoff"] == c).to_numpy()
        hist = keys["cutoff"].isin(earlier).to_numpy()
        res = reconcile_arrays(Smat, F[:, now], Y[:, hist], F[:, hist], methods,
                               erm_relative=erm_relative, nonnegative=nonnegative)
        k = keys[now].reset_index(drop=True)
        n_k = len(k)
        frame = pd.DataFrame({
            "node": np.repeat(nodes, n_k),
            "level": np.repeat(meta["level"].to_numpy(), n_k),
            "unique_id": np.repeat(meta["unique_id"].to_numpy(), n_k),
            "cutoff": np.tile(k["cutoff"].to_numpy(), len(nodes)),
            "ds": np.tile(k["ds"].to_numpy(), len(nodes)),
            "step": np.tile(k["step"].to_numpy(), len(nodes)),
            "y": Y[:, now].reshape(-1),
        })
        parts.append(frame.assign(method=BASE, forecast=F[:, now].reshape(-1)))
        for m in methods:
            parts.append(frame.assign(method=m, forecast=res[m].reshape(-1)))
        if res.get("_mint_diagonal"):
            diagonal.append(str(pd.Timestamp(c).date()))
        done.append(c)
    out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    out.attrs = {"levels": list(hier.tags), "min_history": min_history,
                 "windows": [str(pd.Timestamp(c).date()) for c in done],
                 "skipped_windows": skipped, "methods": methods,
                 "mint_diagonal_windows": diagonal}
    return out


def compare_reconciled(rbt: pd.DataFrame, series_nodes: pd.DataFrame,
                       season_length: int = 12) -> pd.DataFrame:
    """Accuracy per level and method of a reconciled backtest (:func:`reconcile_backtest`).

    Every method (``base`` = before reconciliation: each level's own forecasts; and each
    reconciliation) is scored with :func:`lean_analysis.forecast.evaluate` on the same
    windows (the ones after ``min_history`` earlier windows): MASE (scale: each node's
    in-sample seasonal naive MAE up to the cutoff) and the industry's accuracy
    ``1 − Σ|F − A| ÷ ΣA`` (:func:`lean_analysis.forecast.metrics.accuracy_weighted`).

    Parameters
    ----------
    rbt
        From :func:`reconcile_backtest`.
    series_nodes
        ``node, ds, y``: the series of every node (for the MASE scale).

    Returns
    -------
    One row per ``level, method``: ``n_series``, ``n_windows``, ``n``, ``mase``,
    ``accuracy_weighted``, ``accuracy``, ``wape``, ``bias_pct``.
    """
    from .evaluate import evaluate

    b = rbt.rename(columns={"node": "_uid"}).rename(columns={"_uid": "unique_id", "unique_id": "_sid"})
    b = b.rename(columns={"method": "model"})
    train = series_nodes.rename(columns={"node": "unique_id"})[["unique_id", "ds", "y"]]
    rows = []
    for lv, sub in b.groupby("level", sort=False):
        sc = evaluate(sub, train=train, by=["model"], season_length=season_length)
        sc["level"] = lv
        sc["n_series"] = int(sub["unique_id"].nunique())
        sc["n_windows"] = int(sub["cutoff"].nunique())
        rows.append(sc)
    cols = ["level", "model", "n_series", "n_windows", "n", "mase", "accuracy_weighted",
            "accuracy", "wape", "bias_pct"]
    out = pd.concat(rows, ignore_index=True)[cols].rename(columns={"model": "method"})
    order = {m: i for i, m in enumerate([BASE, *rbt.attrs.get("methods", METHODS)])}
    lv_order = {lv: i for i, lv in enumerate(rbt.attrs.get("levels") or pd.unique(rbt["level"]))}
    out = out.assign(_l=out["level"].map(lv_order), _m=out["method"].map(order))
    out = out.sort_values(["_l", "_m"]).drop(columns=["_l", "_m"]).reset_index(drop=True)
    out.attrs = dict(rbt.attrs)
    return out


def recommend_levels(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per level from :func:`compare_reconciled`: the MASE and accuracy of each
    method side by side and the recommended coherent method (lowest MASE among the
    reconciliations; ties go to the simpler method, in the order bottom_up, mint_shrink,
    erm). ``base_better``: the level's own (incoherent) forecasts beat the recommendation.

    ``attrs["overall"]``: the one method for all levels (only one method keeps every level
    coherent with the others): the lowest geometric mean of MASE over the levels.
    """
    methods = [m for m in scores.attrs.get("methods", METHODS) if m in set(scores["method"])]
    rows = []
    for lv, sub in scores.groupby("level", sort=False):
        s = sub.set_index("method")
        row = {"level": lv, "n_series": int(s["n_series"].iloc[0]),
               "n_windows": int(s["n_windows"].iloc[0])}
        for m in [BASE, *methods]:
            row[f"mase_{m}"] = float(s.loc[m, "mase"]) if m in s.index else np.nan
            row[f"accuracy_{m}"] = float(s.loc[m, "accuracy_weighted"]) if m in s.index else np.nan
        cand = [(row[f"mase_{m}"], i, m) for i, m in enumerate(methods) if np.isfinite(row[f"mase_{m}"])]
        best = min(cand)[2] if cand else None
        row["recommended"] = best
        row["mase_recommended"] = row[f"mase_{best}"] if best else np.nan
        row["base_better"] = bool(best and row[f"mase_{BASE}"] < row["mase_recommended"] - 1e-12)
        rows.append(row)
    out = pd.DataFrame(rows)
    gm = {m: float(np.exp(np.mean(np.log(out[f"mase_{m}"].to_numpy(float))))) for m in methods}
    out.attrs = {**scores.attrs, "overall": min(gm, key=lambda m: (gm[m], methods.index(m))),
                 "overall_mase_geomean": gm}
    return out


def combine_levels(sums: pd.DataFrame, rc: LevelsResult) -> pd.DataFrame:
    """The per-level choice between each model's bottom-up sums and the reconciliations of
    the recommended model, all on the same points.

    ``sums``: :func:`lean_analysis.forecast.compare_levels` of ``rc.scope(bt)`` (the best
    model's sums per level, its ``baseline_mase``, seasonal naive); ``rc``: the result of
    :func:`reconcile_levels` on ``bt``. One row per level, top first: ``level``,
    ``n_series``, ``n_windows``, ``best_model`` and ``mase_best`` / ``accuracy_best`` (its
    sums), ``mase_<method>`` / ``accuracy_<method>`` (each reconciliation),
    ``baseline_mase``, and the ``choice``: the lowest MASE among these coherent options
    (``"sum"`` for the best model's sums, else the method; ties go to the sums, the
    simplest), with ``mase_choice`` and ``accuracy_choice``. At the bottom level the "sums"
    are the recommended model's own forecasts (``best_model`` is that model): the league
    table chose it on every window and series, and the page forecasts with it. Every
    option is coherent within itself; only one of them used at every level keeps all
    levels adding up (see ``rc.overall``), which ``attrs["overall"]`` repeats.
    """
    table = rc.table
    methods = list(table.attrs.get("methods", METHODS))
    by_level = {("_".join(lv) if isinstance(lv, list | tuple) else str(lv)): r
                for lv, r in zip(sums["level"], sums.to_dict("records"), strict=True)}
    rows = []
    table_rows = table.to_dict("records")  # levels top first, the bottom last
    for r in table_rows:
        s = by_level.get(str(r["level"]))
        row = {"level": r["level"], "n_series": int(r["n_series"]), "n_windows": int(r["n_windows"]),
               "best_model": s["model"] if s else None,
               "mase_best": float(s["mase"]) if s else np.nan,
               "accuracy_best": float(s["accuracy_weighted"]) if s else np.nan,
               "baseline_mase": float(s["baseline_mase"]) if s else np.nan}
        for m in methods:
            row[f"mase_{m}"] = r.get(f"mase_{m}", np.nan)
            row[f"accuracy_{m}"] = r.get(f"accuracy_{m}", np.nan)
        if r is table_rows[-1] and "bottom_up" in methods:
            # the specifications: the recommended model's own forecasts (chosen on every
            # window and series, the league table), against its reconciliations; the page
            # recommends and forecasts with one model at that level
            row.update(best_model=table.attrs.get("model", row["best_model"]),
                       mase_best=row["mase_bottom_up"], accuracy_best=row["accuracy_bottom_up"])
        cand = [(row["mase_best"], 0, "sum")] + [(row[f"mase_{m}"], i + 1, m) for i, m in enumerate(methods)]
        cand = [c for c in cand if np.isfinite(c[0])]
        choice = min(cand)[2] if cand else None
        row["choice"] = choice
        key = "best" if choice == "sum" else choice
        row["mase_choice"] = row[f"mase_{key}"] if choice else np.nan
        row["accuracy_choice"] = row[f"accuracy_{key}"] if choice else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs = {**table.attrs}
    return out


def complete_members(bt: pd.DataFrame, model: str) -> list[str]:
    """The bottom series that ``model`` forecast at every cutoff and step of ``bt``."""
    b = bt[(bt["model"] == model) & bt["forecast"].notna()]
    if b.empty:
        raise ValueError(f"bt: no forecasts of model {model!r} (models: {sorted(pd.unique(bt['model']))})")
    n = bt[["cutoff", "step"]].drop_duplicates().shape[0]
    have = b.drop_duplicates(["unique_id", "cutoff", "step"]).groupby("unique_id").size()
    return sorted(have[have == n].index.astype(str))


def _incomplete_nodes(upper_bt: pd.DataFrame, up: pd.DataFrame) -> list[str]:
    """Upper nodes of ``up`` that ``upper_bt`` did not forecast at every one of its windows."""
    n_win = upper_bt["cutoff"].nunique() if len(upper_bt) else 0
    got = upper_bt.groupby("unique_id")["cutoff"].nunique() if len(upper_bt) else pd.Series(dtype=int)
    return sorted(u for u in pd.unique(up["unique_id"]) if n_win == 0 or got.get(u, 0) < n_win)


def upper_series(series: pd.DataFrame, hier: Hierarchy) -> pd.DataFrame:
    """The series of every upper node (``unique_id`` = node key, ``ds``, ``y``): ``S`` times
    the bottom series (members only). Independent of :func:`lean_analysis.forecast.aggregate`
    in code, equal in value."""
    bottom_level = hier.nodes["level"].iloc[-1]
    bmap = hier.nodes[hier.nodes["level"] == bottom_level].set_index("unique_id")["node"]
    s = series[series["unique_id"].astype(str).isin(bmap.index)]
    wide = s.assign(node=s["unique_id"].astype(str).map(bmap)).pivot_table(
        index="node", columns="ds", values="y", aggfunc="sum")
    wide = wide.reindex(hier.bottom)
    upper = hier.nodes[hier.nodes["level"] != bottom_level]["node"].tolist()
    Smat = hier.S.set_index("unique_id").loc[upper, hier.bottom].to_numpy(float)
    # a series that has not started (NaN) counts as 0 in the sum, as data.to_series fills
    vals = Smat @ np.nan_to_num(wide.to_numpy(float), nan=0.0)
    out = pd.DataFrame(vals, index=upper, columns=wide.columns)
    out = out.rename_axis(index="unique_id", columns="ds").stack().rename("y").reset_index()
    return out


def reconcile_levels(bt: pd.DataFrame, series: pd.DataFrame, groups: pd.DataFrame,
                     levels=DEFAULT_LEVELS, model: str = "ensemble",
                     upper_model: str | None = None, n_jobs: int = 1,
                     methods=METHODS, min_history: int = 3, erm_relative: float = 1e-3,
                     bottom: str = "product_id", upper_bt: pd.DataFrame | None = None,
                     **backtest_options) -> pd.DataFrame:
    """Backtest the upper levels, reconcile every window and recommend a method per level.

    1. The hierarchy (:func:`hierarchy`) of the bottom series that ``model`` forecast at
       every window of ``bt`` (new specifications with a shorter history are left out and
       counted in ``attrs["excluded"]``), by ``levels`` (e.g. total / price class / brand).
    2. Base forecasts of every upper node: one :func:`lean_analysis.forecast.backtest` of
       the upper series with ``model`` alone and ``bt``'s settings (cutoffs, h, refit,
       calendar and festival adjustment), unless ``upper_bt`` is given. The bottom level
       reuses ``bt`` as it is: only the 36 upper series (county sample) are fitted again,
       with ``upper_model`` (default ``model``): a cheaper model for the upper levels
       (e.g. ``"theta"`` under an ensemble at the bottom) saves most of the time. When
       ``upper_model`` cannot forecast every upper node at every window (a short history:
       ETS needs 24 months before the first cutoff), ``model`` is used for the upper levels
       too and ``attrs["upper_fallback"]`` names the model it replaced.
    3. :func:`reconcile_backtest` (``min_history`` earlier windows, no leakage),
       :func:`compare_reconciled` and :func:`recommend_levels`.

    Returns
    -------
    :class:`LevelsResult`: ``.table`` the per-level table of :func:`recommend_levels`
    (levels top first, the bottom last; its ``attrs`` hold ``overall``, ``min_history``,
    ``windows``, ``excluded``, ``model``, ``upper_model``), ``.scores`` (the long table of
    :func:`compare_reconciled`), ``.points`` (the reconciled backtest), ``.base`` (every
    node's base forecasts, all windows: :func:`stack_levels`), ``.upper_bt``,
    ``.hierarchy``; ``to_frame()`` is ``.table``.
    """
    from .backtest import backtest

    params = dict(bt.attrs.get("params", {}))
    upper_fallback = None
    members = complete_members(bt, model)
    excluded = sorted((set(series["unique_id"].astype(str)) | set(bt["unique_id"].astype(str)))
                      - set(members))
    hier = hierarchy(groups, levels, bottom=bottom, members=members)
    up = upper_series(series, hier)
    if upper_bt is None:
        opts = {k: params[k] for k in ("h", "n_windows", "step", "season_length", "refit", "window",
                                       "input_size", "spring_festival", "calendar_adjust",
                                       "festival_adjust", "search") if k in params}
        opts.update(backtest_options)
        opts.setdefault("forecast_ahead", False)  # no forecast after the data is needed here
        upper_bt = backtest(up, models=[upper_model or model], level=(), n_jobs=n_jobs, **opts)
        if upper_model and upper_model != model and _incomplete_nodes(upper_bt, up):
            # the cheaper model cannot forecast every upper node at every window (e.g. ETS
            # needs two seasons before the first cutoff): the bottom model, which did
            # forecast every member at every window, takes the upper levels too
            upper_fallback, upper_model = upper_model, None
            upper_bt = backtest(up, models=[model], level=(), n_jobs=n_jobs, **opts)
    base = stack_levels(bt, hier, upper_bt, model, upper_model)
    rbt = reconcile_backtest(base, hier, methods=methods, min_history=min_history,
                             erm_relative=erm_relative)
    if rbt.empty:
        raise ValueError(f"reconcile_levels: no window could be reconciled ({rbt.attrs['skipped_windows']}; "
                         f"rule: every node needs a base forecast and {min_history} earlier windows)")
    bottom_level = hier.nodes["level"].iloc[-1]
    b_series = series[series["unique_id"].astype(str).isin(members)][["unique_id", "ds", "y"]]
    b_series = b_series.assign(unique_id=bottom_level + NODE_SEP + b_series["unique_id"].astype(str))
    s_nodes = pd.concat([up, b_series], ignore_index=True).rename(columns={"unique_id": "node"})
    s_nodes["ds"] = pd.to_datetime(s_nodes["ds"]).astype("datetime64[ns]")
    scores = compare_reconciled(rbt, s_nodes, season_length=int(params.get("season_length", 12)))
    table = recommend_levels(scores)
    table.attrs.update({"model": model, "upper_model": upper_model or model,
                        "upper_fallback": upper_fallback, "excluded": excluded})
    return LevelsResult(table=table, scores=scores, points=rbt, upper_bt=upper_bt, hierarchy=hier,
                        base=base)
