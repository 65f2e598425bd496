"""Where the BG/NBD's quadrature puts its panels, checked through the value of the integral.

``_expected_by_quadrature`` integrates E_p[(1 - (scale / (scale + p t))^shape) / p], p ~ Beta(a, b),
over y = logit(p) with panels graded away from the peak of the density, the knee of the gain and
y = 0, the range cut where the integrand is below e^-46 of its value there. A panel placed a
little wrong still gives a value close to the right one, so each case below is one where a
misplaced feature, range end or first panel moves the result by 1e-13 to 1e-7 of itself while
the quadrature as written is within 2e-14 of it (most within 1e-15). The tolerance, 5e-14 of the
value, lies between the two.

The references are the defining integral in mpmath, 30 digits (the same to 24 digits in 45),
written down; ``test_the_references_are_the_defining_integral`` computes them again.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models.bgnbd import _expected_by_quadrature

# shape, scale, a, b, t; E[X(t)] of a customer alive at 0; what the case pins
CASES = [
    # the knee left of a peak near p = 1 (b far below 1): its place, 1 / (k max(shape, 1)),
    # and the range stretched past it (7.6e-8 and 6.2e-8 off with a knee at k / max(shape, 1))
    ((335.201, 0.173117, 0.41662, 0.000482049, 208.317), "4.270841817393897521919936", 5e-14),
    ((602.782, 1.55991, 0.00679518, 0.00119341, 3280.84), "172652.8395213219017844023", 5e-14),
    ((735.381, 0.660986, 0.178165, 0.000371143, 1005.05), "219.6246561111899744785432", 5e-14),
    # a horizon of 1.7e8 times alpha: the left end moved 5 + 46/a below the knee (4.6e-11 off
    # at the knee plus that margin, or with the range not stretched)
    ((65.184, 0.146468, 1.24583, 0.613612, 24634100.0), "3.487060139984310932618935", 5e-14),
    # a Beta of width 0.015 with a near b, the knee left of its peak: the left end 46/a beyond the
    # margin (6.4e-12 off with 46 a: the panels of the stretched range too coarse)
    ((16.8293, 27.2714, 17607.6, 17697.1, 3.26275), "1.249057091560103522251677", 5e-14),
    # a very lopsided Beta over a short horizon: the feature y = 0 at -ln(a/b) from the peak
    # (2.4e-10 off at +ln(a/b))
    ((3.1294, 0.583532, 6724.86, 0.000508426, 0.012474), "0.06404822303537159952700449", 5e-14),
    # heavy buyers, a U-shaped Beta: max(shape, 1) in the knee (3.9e-13 off with min)
    ((721.094, 906.103, 0.0146754, 0.00279192, 2006.44), "231.3978522486494381872237", 5e-14),
    # the margin of 5 below the knee (4e-13 off at 5 above it)
    ((0.726069, 4.72266, 18.6782, 339.987, 12738.6), "19.63547954829783123118399", 5e-14),
    # a narrow Beta: the first panel a quarter of the peak's width (2.7e-13 off at 4 widths)
    ((0.165428, 0.170748, 500299.0, 302.628, 3.04342), "0.3848178524555508002510318", 5e-14),
    ((81.8437, 0.652727, 9984620.0, 9983410.0, 7.6299), "1.999878913757250026265398", 5e-14),
    # b far below 1 over a short horizon: most of the mass near p = 1, the right end at 46/b
    ((0.115193, 1.54373, 26.1086, 0.00010454, 0.929635), "0.05285160428374050992583763", 5e-14),
    # a narrow Beta with a near b (the quadrature itself is within 2e-14 here)
    ((0.0128032, 1.79231, 3447580.0, 3132920.0, 17577.8), "0.1977962055724614191367575", 2e-13),
    # a lopsided Beta with b large: the peak far left of y = 0, the knee between them
    ((0.0383309, 141.082, 1881.52, 7815280.0, 25619.1), "6.80711312673298894855071", 5e-14),
    ((3.39098, 73.1503, 0.0262139, 719274.0, 91.6918), "4.25049560671106524255052", 5e-14),
    # a value of 2e-6: a narrow, lopsided Beta over a short horizon
    ((0.0121231, 412.654, 2050150.0, 3624.86, 0.0695149), "0.000002042060359759983136590475", 5e-14),
]


def _columns(cases):
    return [np.array([c[0][i] for c in cases]) for i in range(5)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c[0]))
def test_each_case_alone(case):
    params, reference, tol = case
    value = _expected_by_quadrature(*(np.array([v]) for v in params))
    assert value.shape == (1,)
    assert float(value[0]) == pytest.approx(float(reference), rel=tol, abs=0)


def test_all_cases_at_once():
    # the rows are integrated together (one set of panels per row, summed row by row)
    values = _expected_by_quadrature(*_columns(CASES))
    expected = np.array([float(c[1]) for c in CASES])
    tols = np.array([c[2] for c in CASES])
    assert values.shape == expected.shape
    assert np.all(np.abs(values - expected) <= tols * expected), np.abs(values / expected - 1)


def test_rows_in_reverse_order():
    values = _expected_by_quadrature(*_columns(CASES[::-1]))
    expected = np.array([float(c[1]) for c in CASES[::-1]])
    tols = np.array([c[2] for c in CASES[::-1]])
    assert np.all(np.abs(values - expected) <= tols * expected), np.abs(values / expected - 1)


def _defining_integral(shape, scale, a, b, t):
    """E_p[-expm1(-shape log1p(p t / scale)) / p], p ~ Beta(a, b), over y = logit(p) in mpmath,
    split around the peak of the density (ln(a/b), width sqrt(1/a + 1/b)) and the knee."""
    shape, scale, a, b, t = (mp.mpf(v) for v in (shape, scale, a, b, t))
    log_beta = mp.log(mp.beta(a, b))

    def f(y):
        log_p, log_q = -mp.log1p(mp.exp(-y)), -mp.log1p(mp.exp(y))
        p = mp.exp(log_p)
        return -mp.expm1(-shape * mp.log1p(p * t / scale)) / p * mp.exp(a * log_p + b * log_q - log_beta)

    peak, width = mp.log(a / b), mp.sqrt(1 / a + 1 / b)
    splits = {peak + j * width for j in (-60, -30, -12, -6, -3, -1, 0, 1, 3, 6, 12, 30, 60)}
    knee = scale / (t * max(shape, 1))
    if knee < 1:
        splits |= {mp.log(knee) - mp.log1p(-knee) + j for j in (-3, 0, 3)}
    return mp.quad(f, [-mp.inf, *sorted(splits), mp.inf])


def test_the_references_are_the_defining_integral():
    with mp.workdps(30):
        for params, reference, _ in CASES:
            assert float(_defining_integral(*params)) == pytest.approx(float(reference), rel=1e-15, abs=0)
