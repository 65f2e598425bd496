"""Probabilistic customer-lifetime models fitted by maximum likelihood.

Noncontractual, continuous time: :class:`BGNBD`, :class:`ParetoNBD`, :class:`MBGNBD`;
spend per transaction: :class:`GammaGamma`; noncontractual, discrete time: :class:`BGBB`;
contractual (subscriptions): :class:`ShiftedBetaGeometric`. Discounting and potential value
are in :mod:`cvm.models.clv`.
"""

from .bgbb import BGBB
from .bgnbd import BGNBD
from .clv import discounted_expected_transactions, potential_value
from .gammagamma import GammaGamma
from .mbgnbd import MBGNBD
from .paretonbd import ParetoNBD
from .sbg import ShiftedBetaGeometric

__all__ = [
    "BGNBD",
    "ParetoNBD",
    "MBGNBD",
    "GammaGamma",
    "BGBB",
    "ShiftedBetaGeometric",
    "discounted_expected_transactions",
    "potential_value",
]
