"""PLS path modelling of a customer satisfaction index (ACSI / ECSI structural model).

:class:`PLSPathModel` estimates the constructs of a :class:`~.pls_model.StructuralModel`
(Image, Expectation, Quality, Value, Satisfaction, Complaints, Loyalty for the ``ecsi``
template) by Wold's partial least squares algorithm in Lohmöller's formulation (Lohmöller 1989,
*Latent Variable Path Modeling with Partial Least Squares*, ch. 2; Tenenhaus, Esposito Vinzi,
Chatelin & Lauro 2005, *CSDA* 48, §2), with the path, centroid or factorial inner weighting.

Conventions (they decide agreement with other PLS software at 1e-6):

* indicators are standardised (mean 0, variance 1); every step of the algorithm needs only their
  correlation matrix R, so n versus n − 1 does not change weights, loadings or paths; the
  construct scores are reported with unit variance in the n − 1 sense (R's ``scale()``);
* outer weights start at 1 for every indicator and are rescaled at every step so that each
  construct score has unit variance: wⱼ′Rⱼⱼwⱼ = 1 (SmartPLS's and semPLS's reported weights);
* the iteration stops when no outer weight changes by more than ``tol`` (default 1e-10, far
  below the 1e-7 stop of SmartPLS and semPLS, so the result is the algorithm's fixed point);
* mode A takes the covariance of each indicator with the inner proxy, mode B the regression of
  the inner proxy on the block; a one-indicator construct keeps weight 1 (no sign flip);
* no sign correction: weights keep the sign the iteration gives them (all positive when the
  indicators correlate positively, as in satisfaction surveys);
* the bootstrap resamples respondents; every resample starts from the full-sample weights and
  runs the same iteration; standard errors are the resamples' standard deviation (n − 1) and the
  intervals are percentile intervals (Efron & Tibshirani 1993, *An Introduction to the
  Bootstrap*, ch. 6 and ch. 13).

All resamples are estimated together on a stack of correlation matrices: the algorithm is a
few small matrix products per iteration, so 1,000 resamples cost about as much as computing
their 1,000 correlation matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from . import pls_quality
from .pls_model import StructuralModel, load_model

__all__ = ["PLSPathModel", "SCHEMES", "PLSDataError"]

#: inner weighting schemes
SCHEMES = ("path", "centroid", "factorial")


class PLSDataError(ConfigError):
    """The survey data do not fit the model (missing or constant columns, too few rows)."""


@dataclass(frozen=True)
class _Layout:
    """The model as index arrays: which indicator rows belong to which construct column."""

    names: list[str]
    indicators: list[str]
    blocks: list[np.ndarray]        # indicator indices of each construct
    modes: list[str]
    mask: np.ndarray                # (p, K) 1 where indicator i measures construct k
    paths: np.ndarray               # (K, K) 1 where a path goes from row to column
    predecessors: list[np.ndarray]  # construct indices with a path into each construct

    @classmethod
    def of(cls, model: StructuralModel) -> "_Layout":
        names, indicators = model.names, model.indicators
        at = {n: i for i, n in enumerate(indicators)}
        blocks = [np.array([at[i] for i in c.indicators]) for c in model.constructs]
        mask = np.zeros((len(indicators), len(names)))
        for k, b in enumerate(blocks):
            mask[b, k] = 1.0
        paths = np.zeros((len(names), len(names)))
        for a, b in model.paths:
            paths[names.index(a), names.index(b)] = 1.0
        preds = [np.flatnonzero(paths[:, k]) for k in range(len(names))]
        return cls(names, indicators, blocks, [c.mode for c in model.constructs], mask, paths,
                   preds)


def _normalise(W: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Rescale each construct's weights so that its score has unit variance: w ← w/√(w′Rw)
    (Lohmöller 1989, ch. 2: the outer estimate of each construct is standardised)."""
    var = np.einsum("bpk,bpq,bqk->bk", W, R, W)
    return W / np.sqrt(var)[:, None, :]


def _inner_weights(C: np.ndarray, lay: _Layout, scheme: str) -> np.ndarray:
    """Inner weights e_ji (B, K, K): how construct i's inner proxy Zᵢ = Σⱼ e_ji Yⱼ is made from
    its neighbours Yⱼ, given the constructs' correlations C.

    centroid: e_ji = sign(cor(Yⱼ, Yᵢ)) (Wold 1982); factorial: e_ji = cor(Yⱼ, Yᵢ); path: for a
    predecessor j of i, the coefficient of Yⱼ in the regression of Yᵢ on all its predecessors,
    for a successor j of i, cor(Yⱼ, Yᵢ) (the three inner weighting schemes of Lohmöller 1989,
    ch. 2, and Tenenhaus et al. 2005, inner estimation; as semPLS's ``pathWeighting``).
    Non-neighbours get 0.
    """
    adjacent = lay.paths + lay.paths.T
    if scheme == "centroid":
        return np.sign(C) * adjacent
    if scheme == "factorial":
        return C * adjacent
    E = C * lay.paths.T                     # successor j of i: e_ji = cor(Yⱼ, Yᵢ)
    for i, pred in enumerate(lay.predecessors):
        if pred.size:
            beta = np.linalg.solve(C[:, pred[:, None], pred[None, :]], C[:, pred, i][..., None])
            E[:, pred, i] = beta[..., 0]
    return E


def _outer_update(R: np.ndarray, W: np.ndarray, E: np.ndarray, lay: _Layout) -> np.ndarray:
    """New outer weights from the inner proxies Z = Y E.

    cov(X, Z) = R W E because Y = X W; mode A: wⱼ = cov(Xⱼ, Zⱼ) (simple regressions of each
    indicator on Zⱼ); mode B: wⱼ = Rⱼⱼ⁻¹ cov(Xⱼ, Zⱼ) (multiple regression of Zⱼ on the block) —
    the outer estimation of Tenenhaus et al. 2005 and Lohmöller 1989, ch. 2; then each is
    standardised (:func:`_normalise`). A one-indicator block keeps its weight.
    """
    T = R @ W @ E
    new = T * lay.mask
    for k, (b, mode) in enumerate(zip(lay.blocks, lay.modes)):
        if b.size == 1:
            new[:, b, k] = 1.0
        elif mode == "B":
            block = R[:, b[:, None], b[None, :]]
            new[:, b, k] = np.linalg.solve(block, T[:, b, k][..., None])[..., 0]
    return _normalise(new, R)


def _iterate(R: np.ndarray, W: np.ndarray, lay: _Layout, scheme: str, tol: float,
             max_iter: int) -> tuple[np.ndarray, int, bool]:
    """Wold's alternation of inner and outer estimation until the weights stop moving by more
    than ``tol`` (max |Δw|, over all resamples)."""
    W = _normalise(W, R)
    for it in range(1, max_iter + 1):
        C = np.swapaxes(W, 1, 2) @ R @ W
        new = _outer_update(R, W, _inner_weights(C, lay, scheme), lay)
        change = np.abs(new - W).max()
        W = new
        if change < tol:
            return W, it, True
    return W, max_iter, False


def _structural(R: np.ndarray, W: np.ndarray, lay: _Layout) -> dict[str, np.ndarray]:
    """Path coefficients, R², total effects and loadings from converged weights.

    Paths: ordinary least squares of each endogenous construct on its predecessors,
    β = C_PP⁻¹ C_Pi (the normal equations on standardised scores); R²ᵢ = β′C_Pi; total
    effects T = (I − B)⁻¹ − I = Σₖ Bᵏ for the path matrix B of a recursive model (Bollen 1987,
    *Sociological Methodology* 17, total effects); loadings: cor(xᵢ, Yₖ) = (R W)ᵢₖ since var Yₖ = 1.
    """
    C = np.swapaxes(W, 1, 2) @ R @ W
    nb, k = C.shape[0], C.shape[1]
    B = np.zeros((nb, k, k))
    r2 = np.full((nb, k), np.nan)
    for i, pred in enumerate(lay.predecessors):
        if pred.size:
            beta = np.linalg.solve(C[:, pred[:, None], pred[None, :]], C[:, pred, i][..., None])
            B[:, pred, i] = beta[..., 0]
            r2[:, i] = np.einsum("bj,bj->b", beta[..., 0], C[:, pred, i])
    eye = np.eye(k)
    total = np.linalg.inv(eye - B) - eye
    return {"paths": B, "r2": r2, "total": total, "cross_loadings": R @ W, "construct_corr": C}


def _standardise(X: np.ndarray, names: list[str]) -> np.ndarray:
    sd = X.std(axis=0, ddof=1)
    flat = [n for n, s in zip(names, sd) if not s > 0]
    if flat:
        raise PLSDataError(f"indicator(s) {', '.join(flat)} have the same answer in every "
                           "row; a constant column cannot measure a construct")
    return (X - X.mean(axis=0)) / sd


def _bootstrap_correlations(Z: np.ndarray, products: np.ndarray,
                            counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices of resamples given how often each row is drawn (B, n), and which
    resamples drew a constant indicator (no correlation matrix: left out of the bootstrap).

    The weighted moments of the standardised data, m = Σc·z/n and S = Σc·zz′/n − mm′, come from
    one matrix product of the counts with the rows' pairwise products zᵢzⱼ (i ≤ j) — a single
    large BLAS multiplication for all resamples of a chunk.
    """
    n, p = Z.shape
    iu, ju = np.triu_indices(p)
    m = counts @ Z / n                                          # (B, p)
    flat = counts @ products / n                                # (B, p(p+1)/2)
    S = np.empty((counts.shape[0], p, p))
    S[:, iu, ju] = flat
    S[:, ju, iu] = flat
    S -= m[:, :, None] * m[:, None, :]
    var = np.einsum("bii->bi", S)
    # the data are standardised: a resample's variance is 0 (up to rounding) or far above 1e-8
    constant = (var < 1e-8).any(axis=1)
    sd = np.sqrt(np.where(var < 1e-8, 1.0, var))
    R = S / sd[:, :, None] / sd[:, None, :]
    R[:, np.arange(p), np.arange(p)] = 1.0
    return R, constant


class PLSPathModel:
    """Partial least squares path model of a structural (ACSI/ECSI-type) satisfaction model.

    Parameters
    ----------
    model : str, path or StructuralModel
        ``"ecsi"`` (built-in template), a TOML model file (see :mod:`cvm.satisfaction.pls_model`)
        or a :class:`StructuralModel`.
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    tol : float
        Stop when no outer weight changes by more than this between iterations.
    max_iter : int
        Give up (``converged_`` False) after this many iterations.
    n_bootstrap : int
        Bootstrap resamples of the respondents (0: none).
    confidence : float
        Coverage of the percentile intervals.
    random_state : int or None
        Seed of the bootstrap draws.

    Fitted attributes
    -----------------
    path_coefficients_ (from, to, coefficient), outer_weights_ (construct, indicator, weight),
    loadings_ (construct, indicator, loading), cross_loadings_ (indicator × construct),
    total_effects_ (from, to, effect), r_squared_ (construct → R²), quality_ (one row per
    construct: mode, indicators, r_squared, cronbach_alpha, rho_c, rho_a, ave), htmt_
    (construct × construct), scores_ (respondent × construct, unit variance), n_iter_,
    converged_, n_observations_ and, with ``n_bootstrap``, bootstrap_ (kind, from, to, estimate,
    std_error, ci_lower, ci_upper) and bootstrap_samples_ (the resampled path coefficients,
    n_bootstrap × paths; a resample that drew the same answer to an indicator from every
    respondent has no correlation matrix and is left out, counted in bootstrap_failed_).
    """

    def __init__(self, model="ecsi", scheme: str = "path", tol: float = 1e-10,
                 max_iter: int = 300, n_bootstrap: int = 0, confidence: float = 0.95,
                 random_state=None):
        self.model = model
        self.scheme = scheme
        self.tol = tol
        self.max_iter = max_iter
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, y=None) -> "PLSPathModel":
        """Estimate the model on survey answers (one row per respondent, a column per
        indicator). Rows with a missing indicator are left out (listwise)."""
        if self.scheme not in SCHEMES:
            raise ConfigError(f"scheme {self.scheme!r} is not one of {', '.join(SCHEMES)}")
        model = load_model(self.model)
        lay = _Layout.of(model)
        missing = [c for c in lay.indicators if c not in data.columns]
        if missing:
            have = ", ".join(map(str, data.columns))
            raise PLSDataError(f"the data have no column(s) {', '.join(missing)} that the "
                               f"model's constructs name (columns: {have})")
        frame = data[lay.indicators].apply(pd.to_numeric, errors="coerce").dropna()
        if len(frame) < 3:
            raise PLSDataError(f"{len(frame)} complete rows: PLS needs at least 3 respondents "
                               "with an answer to every indicator")
        X = frame.to_numpy(dtype=float)
        Z = _standardise(X, lay.indicators)
        n = Z.shape[0]
        R = Z.T @ Z / (n - 1)
        np.fill_diagonal(R, 1.0)
        R = R[None]
        for k, (b, mode) in enumerate(zip(lay.blocks, lay.modes)):
            if mode == "B" and np.linalg.cond(R[0][np.ix_(b, b)]) > 1e12:
                raise PLSDataError(f"the indicators of the formative (mode B) construct "
                                   f"{lay.names[k]!r} are collinear on these {n} respondents "
                                   "(singular: one repeats a combination of the others); drop "
                                   "one or use mode A")
        try:
            W, n_iter, converged = _iterate(R, lay.mask.copy()[None], lay, self.scheme,
                                            self.tol, self.max_iter)
            est = _structural(R, W, lay)
        except np.linalg.LinAlgError:
            raise PLSDataError(f"the constructs' correlations are singular on these {n} "
                               "respondents (too few of them, or an indicator or construct "
                               "that repeats another); collect more answers or simplify the "
                               "model") from None

        self.structural_model_ = model
        self.n_observations_ = n
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.weights_ = W[0]
        self.path_coefficients_ = self._path_frame(est["paths"][0], lay)
        self.total_effects_ = self._total_frame(est["total"][0], lay)
        self.outer_weights_ = self._block_frame(W[0], lay, "weight")
        self.loadings_ = self._block_frame(est["cross_loadings"][0], lay, "loading")
        self.cross_loadings_ = pd.DataFrame(est["cross_loadings"][0], index=lay.indicators,
                                            columns=lay.names)
        self.r_squared_ = pd.Series(est["r2"][0], index=lay.names, name="r_squared").dropna()
        self.construct_correlations_ = pd.DataFrame(est["construct_corr"][0], index=lay.names,
                                                    columns=lay.names)
        self.scores_ = pd.DataFrame(Z @ W[0], index=frame.index, columns=lay.names)
        self.quality_ = self._quality(R[0], W[0], est, lay)
        self.htmt_ = pd.DataFrame(pls_quality.htmt(R[0], lay.blocks), index=lay.names,
                                  columns=lay.names)
        if self.n_bootstrap:
            self._bootstrap(Z, W, lay)
        return self

    def _bootstrap(self, Z: np.ndarray, W: np.ndarray, lay: _Layout, chunk: int = 250) -> None:
        """Resample respondents ``n_bootstrap`` times and re-estimate every resample (started
        from the full-sample weights), ``chunk`` correlation matrices at a time."""
        rng = np.random.default_rng(self.random_state)
        n, draws = Z.shape[0], int(self.n_bootstrap)
        iu, ju = np.triu_indices(Z.shape[1])
        products = Z[:, iu] * Z[:, ju]
        paths, totals, weights, loads, failed = [], [], [], [], []
        for start in range(0, draws, chunk):
            size = min(chunk, draws - start)
            rows = rng.integers(0, n, size=(size, n))
            counts = np.bincount((rows + n * np.arange(size)[:, None]).ravel(),
                                 minlength=size * n).reshape(size, n).astype(float)
            Rb, constant = _bootstrap_correlations(Z, products, counts)
            Rb[constant] = Z.T @ Z / (n - 1)   # stand-ins, dropped below
            failed.append(constant)
            Wb, _, _ = _iterate(Rb, np.repeat(W, size, axis=0), lay, self.scheme, self.tol,
                                self.max_iter)
            est = _structural(Rb, Wb, lay)
            paths.append(est["paths"])
            totals.append(est["total"])
            weights.append(Wb)
            loads.append(est["cross_loadings"])
        keep = ~np.concatenate(failed)
        paths, totals = np.concatenate(paths)[keep], np.concatenate(totals)[keep]
        weights, loads = np.concatenate(weights)[keep], np.concatenate(loads)[keep]
        self.bootstrap_failed_ = int((~keep).sum())
        if keep.sum() < 2:
            raise PLSDataError(f"{self.bootstrap_failed_} of {draws} bootstrap resamples drew "
                               "an indicator with one answer only; too few respondents to "
                               "bootstrap")
        lo, hi = (1 - self.confidence) / 2, 1 - (1 - self.confidence) / 2
        rows = []
        path_cols = []

        def add(kind, a, b, estimate, sample):
            rows.append({"kind": kind, "from": a, "to": b, "estimate": estimate,
                         "std_error": sample.std(ddof=1), "ci_lower": np.quantile(sample, lo),
                         "ci_upper": np.quantile(sample, hi)})

        names = lay.names
        for a, b in self.structural_model_.paths:
            i, j = names.index(a), names.index(b)
            add("path", a, b, self.path_coefficients_.set_index(["from", "to"])
                .loc[(a, b), "coefficient"], paths[:, i, j])
            path_cols.append(paths[:, i, j])
        for r in self.total_effects_.itertuples(index=False):
            i, j = names.index(r[0]), names.index(r[1])
            add("total_effect", r[0], r[1], r[2], totals[:, i, j])
        for k, b in enumerate(lay.blocks):
            for p in b:
                add("weight", names[k], lay.indicators[p], self.weights_[p, k], weights[:, p, k])
        for k, b in enumerate(lay.blocks):
            for p in b:
                add("loading", names[k], lay.indicators[p],
                    self.cross_loadings_.iat[p, k], loads[:, p, k])
        self.bootstrap_ = pd.DataFrame(rows)
        self.bootstrap_samples_ = pd.DataFrame(
            np.column_stack(path_cols),
            columns=[f"{a}->{b}" for a, b in self.structural_model_.paths])

    # -- result tables ---------------------------------------------------------------------
    def _path_frame(self, B: np.ndarray, lay: _Layout) -> pd.DataFrame:
        names = lay.names
        return pd.DataFrame([{"from": a, "to": b, "coefficient": B[names.index(a), names.index(b)]}
                             for a, b in self.structural_model_.paths])

    @staticmethod
    def _total_frame(T: np.ndarray, lay: _Layout) -> pd.DataFrame:
        """Every ordered pair joined by a directed route, in causal order."""
        reach = np.linalg.matrix_power(np.eye(len(lay.names)) + lay.paths,
                                       len(lay.names)) - np.eye(len(lay.names))
        rows = [{"from": a, "to": b, "effect": T[i, j]}
                for i, a in enumerate(lay.names) for j, b in enumerate(lay.names)
                if i != j and reach[i, j] > 0]
        return pd.DataFrame(rows, columns=["from", "to", "effect"])

    @staticmethod
    def _block_frame(M: np.ndarray, lay: _Layout, column: str) -> pd.DataFrame:
        return pd.DataFrame([{"construct": lay.names[k], "indicator": lay.indicators[p],
                              column: M[p, k]}
                             for k, b in enumerate(lay.blocks) for p in b])

    @staticmethod
    def _quality(R: np.ndarray, W: np.ndarray, est: dict, lay: _Layout) -> pd.DataFrame:
        rows = []
        for k, (b, mode) in enumerate(zip(lay.blocks, lay.modes)):
            block_corr = R[np.ix_(b, b)]
            lam = est["cross_loadings"][0][b, k]
            rows.append({"construct": lay.names[k], "mode": mode, "indicators": len(b),
                         "r_squared": est["r2"][0][k],
                         "cronbach_alpha": pls_quality.cronbach_alpha(block_corr),
                         "rho_c": pls_quality.composite_reliability(lam),
                         "rho_a": 1.0 if mode == "B" else pls_quality.rho_a(W[b, k], block_corr),
                         "ave": pls_quality.average_variance_extracted(lam)})
        return pd.DataFrame(rows)
