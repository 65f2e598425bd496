"""How well an uplift score orders customers, on a campaign with a control group: the Qini
curve, the Qini AUC and uplift@k.

The definitions are scikit-uplift's (``sklift.metrics``; Radcliffe 2007 for the Qini curve):
customers are sorted by predicted uplift, highest first, and at each distinct score the first
``n`` hold ``n_t`` treated customers with ``y_t`` positive outcomes and ``n_c`` controls with
``y_c`` positive outcomes.

* Qini curve (Radcliffe 2007, eq. 1): ``Q(n) = y_t − y_c · n_t / n_c`` (``0`` term where
  ``n_c = 0``), from the point ``(0, 0)``: the outcomes gained by treating the first ``n``.
* Perfect Qini curve: the curve of the ideal score ``y·w − y·(1−w)`` (treated responders first,
  control responders last).
* Qini AUC: ``(A(model) − A(random)) / (A(perfect) − A(random))`` with ``A`` the trapezoidal
  area under the curve and the random curve the straight line from ``(0, 0)`` to the last point
  of the perfect curve — 1 for the perfect order, 0 for random.
* uplift@k (``strategy="overall"``): among the first ``⌊k·N⌋`` customers, the treated response
  rate minus the control response rate.
"""

from __future__ import annotations

import numpy as np

__all__ = ["qini_curve", "perfect_qini_curve", "qini_auc_score", "uplift_at_k"]


def _arrays(y_true, uplift, treatment):
    y = np.asarray(y_true, dtype=float)
    u = np.asarray(uplift, dtype=float)
    w = np.asarray(treatment, dtype=float)
    if not (y.shape == u.shape == w.shape) or y.ndim != 1:
        raise ValueError("y_true, uplift and treatment must be 1-d arrays of one length")
    if not (np.isin(y, (0, 1)).all() and np.isin(w, (0, 1)).all()):
        raise ValueError("y_true and treatment must hold only 0 and 1")
    return y, u, w


def qini_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve's points ``(n, Q(n))`` at each distinct uplift score, from ``(0, 0)``."""
    y, u, w = _arrays(y_true, uplift, treatment)
    order = np.argsort(u, kind="mergesort")[::-1]  # stable, highest first
    y, u, w = y[order], u[order], w[order]
    ends = np.r_[np.where(np.diff(u))[0], u.size - 1]  # the last row of each distinct score
    n_all = ends + 1.0
    n_t = np.cumsum(w)[ends]
    n_c = n_all - n_t
    y_t = np.cumsum(y * w)[ends]
    y_c = np.cumsum(y * (1 - w))[ends]
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    q = y_t - y_c * ratio  # Radcliffe 2007, eq. 1
    return np.r_[0.0, n_all], np.r_[0.0, q]


def perfect_qini_curve(y_true, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The Qini curve of the ideal order: treated responders first, control responders last."""
    y, _, w = _arrays(y_true, np.zeros(len(y_true)), treatment)
    return qini_curve(y, y * w - y * (1 - w), w)


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.trapezoid(y, x))


def qini_auc_score(y_true, uplift, treatment) -> float:
    """The Qini AUC: the area between the model's Qini curve and the random line, as a share of
    the area between the perfect curve and the random line."""
    y, u, w = _arrays(y_true, uplift, treatment)
    x_m, q_m = qini_curve(y, u, w)
    x_p, q_p = perfect_qini_curve(y, w)
    random = _area(np.array([0.0, x_p[-1]]), np.array([0.0, q_p[-1]]))
    return (_area(x_m, q_m) - random) / (_area(x_p, q_p) - random)


def uplift_at_k(y_true, uplift, treatment, k: float = 0.3) -> float:
    """The treated minus the control response rate among the ``⌊k·N⌋`` customers with the
    highest uplift (scikit-uplift's ``strategy="overall"``); NaN when that top holds no treated
    or no control customer."""
    y, u, w = _arrays(y_true, uplift, treatment)
    if not 0 < k < 1:
        raise ValueError(f"k is a share of the customers in (0, 1), not {k}")
    top = np.argsort(u, kind="mergesort")[::-1][: int(y.size * k)]
    yt, wt = y[top], w[top]
    if wt.sum() == 0 or wt.sum() == wt.size:
        return float("nan")
    return float(yt[wt == 1].mean() - yt[wt == 0].mean())
