"""Adaptive quadrature (SciPy's QUADPACK), one integral at a time.

The CLV discount sum evaluates its time steps on several threads
(:func:`cvm.models.clv.discounted_expected_transactions`), and a step may fall back to
quadrature for the few customers whose series converges too slowly. QUADPACK's thread safety
has varied between SciPy releases; the integrands are Python functions, which hold the
interpreter anyway, so running one integral at a time costs nothing.
"""

from __future__ import annotations

import threading

from scipy.integrate import quad as _scipy_quad

__all__ = ["quad"]

_ONE_AT_A_TIME = threading.Lock()


def quad(func, a: float, b: float, **options):
    """:func:`scipy.integrate.quad`, called under a lock."""
    with _ONE_AT_A_TIME:
        return _scipy_quad(func, a, b, **options)
