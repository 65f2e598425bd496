"""Churn metrics at their edges: scikit-learn's figures on tied scores, the input rules, the
lift's fractional cut, the calibration bins' bounds and the decile groups of unequal size."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from cvm.models.churn_metrics import (ECE_BINS, average_precision, brier, calibration_bins,
                                      churn_metrics, churn_metrics_and_deciles, decile_table,
                                      expected_calibration_error, lift_at, roc_auc)


def _tied_sample():
    rng = np.random.default_rng(7)
    p = np.round(rng.uniform(size=60), 1)               # 11 distinct scores: many ties
    y = (rng.uniform(size=60) < 0.2 + 0.6 * p).astype(int)
    return y, p


def test_auc_pr_auc_and_brier_equal_scikit_learns_on_tied_scores():
    y, p = _tied_sample()
    assert 0 < y.sum() < y.size
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), rel=1e-12)
    assert average_precision(y, p) == pytest.approx(average_precision_score(y, p), rel=1e-12)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    # a reversed score turns the AUC into its complement
    assert roc_auc(y, -p) == pytest.approx(1 - roc_auc_score(y, p), rel=1e-12)


def test_one_class_gives_nan_where_the_figure_is_undefined():
    ones, zeros, p = [1, 1, 1], [0, 0, 0], [0.2, 0.5, 0.9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # NaN by rule, not from 0 / 0
        assert np.isnan(roc_auc(ones, p)) and np.isnan(roc_auc(zeros, p))
        assert np.isnan(average_precision(zeros, p))
    assert average_precision(ones, p) == 1.0              # every threshold is all churners
    assert np.isnan(lift_at(zeros, p, 0.5))
    assert lift_at(ones, p, 0.5) == pytest.approx(1.0)
    # one churner, or one non-churner, is enough for an AUC
    assert roc_auc([0, 1, 0, 0], [0.9, 0.5, 0.1, 0.2]) == pytest.approx(2 / 3)
    assert roc_auc([1, 0, 1, 1], [0.9, 0.5, 0.1, 0.6]) == pytest.approx(2 / 3)
    assert average_precision([0, 1, 0, 0], [0.9, 0.5, 0.1, 0.2]) == pytest.approx(0.5)


@pytest.mark.parametrize("y, p, message", [
    ([0, 1], [0.1, 0.2, 0.3], "1-d arrays of one length"),
    ([[0, 1]], [[0.1, 0.2]], "1-d arrays of one length"),
    ([], [], "no customers"),
    ([0, 2], [0.1, 0.2], "0 or 1"),
    ([0, 0.5], [0.1, 0.2], "0 or 1"),
    ([0, 1], [0.1, np.nan], "finite"),
    ([0, 1], [np.inf, 0.2], "finite"),
])
def test_inputs_are_refused_with_a_reason(y, p, message):
    for figure in (roc_auc, average_precision, brier, expected_calibration_error, decile_table,
                   churn_metrics, churn_metrics_and_deciles):
        with pytest.raises(ValueError, match=message):
            figure(y, p)


def test_lift_share_bounds():
    y, p = [1, 0, 0, 0], [0.9, 0.5, 0.4, 0.1]
    for share in (0.0, -0.1, 1.01):
        with pytest.raises(ValueError, match="share"):
            lift_at(y, p, share)
    assert lift_at(y, p, 1.0) == pytest.approx(1.0)      # everyone: the overall rate
    assert lift_at(y[::-1], p, 1.0) == pytest.approx(1.0)  # the lowest score counts too
    assert lift_at(y, p) == pytest.approx(4.0)           # default 10 %: 0.4 customer, a churner


def test_lift_counts_a_fractional_cut_and_ties_in_proportion():
    # rate 2/5; top 30 % = 1.5 customers: the 0.9 (a churner) and half a place among the two
    # tied at 0.8 (one churner of two): 1 + 0.5 × 0.5 = 1.25 churners in 1.5 places
    y = [1, 1, 0, 0, 0]
    p = [0.9, 0.8, 0.8, 0.7, 0.1]
    assert lift_at(y, p, 0.3) == pytest.approx(1.25 / 1.5 / 0.4)
    # top 60 % = 3 customers: 0.9, both 0.8 and none of 0.7 — two churners of three
    assert lift_at(y, p, 0.6) == pytest.approx(2 / 3 / 0.4)
    # top 80 % = 4: the 0.7 (no churner) is inside
    assert lift_at(y, p, 0.8) == pytest.approx(2 / 4 / 0.4)
    # the order of the input does not matter
    assert lift_at(y[::-1], p[::-1], 0.3) == pytest.approx(1.25 / 1.5 / 0.4)


def test_calibration_bins_bounds_and_the_closed_last_bin():
    y = [0, 1, 1, 0, 1, 1]
    p = [0.0, 0.1, 0.35, 0.3, 1.0, 0.95]
    table = calibration_bins(y, p)
    assert table["bin_low"].tolist() == pytest.approx([0.0, 0.1, 0.3, 0.9])
    assert table["bin_high"].tolist() == pytest.approx([0.1, 0.2, 0.4, 1.0])
    assert table["customers"].tolist() == [1, 1, 2, 2]
    assert table["mean_score"].tolist() == pytest.approx([0.0, 0.1, 0.325, 0.975])
    assert table["churn_rate"].tolist() == pytest.approx([0.0, 1.0, 0.5, 1.0])
    ece = (1 * 0 + 1 * 0.9 + 2 * 0.175 + 2 * 0.025) / 6
    assert expected_calibration_error(y, p) == pytest.approx(ece)
    # two bins: [0, 0.5) and [0.5, 1]
    two = calibration_bins(y, p, bins=2)
    assert two["customers"].tolist() == [4, 2]
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(
        (4 * abs(0.1875 - 0.5) + 2 * abs(0.975 - 1)) / 6)
    assert ECE_BINS == 10


def test_decile_table_of_unequal_groups_keeps_ties_in_input_order():
    # 25 customers in 10 groups: sizes 3, 2, 3, 2, ...; highest score first
    p = np.arange(25, dtype=float)[::-1] / 25            # 0.96 down to 0
    y = (np.arange(25) % 5 == 0).astype(int)             # churners at 0, 5, 10, 15, 20
    table = decile_table(y, p)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["customers"].tolist() == [3, 2] * 5
    assert table["mean_score"].iloc[0] == pytest.approx((0.96 + 0.92 + 0.88) / 3)
    assert table["mean_score"].iloc[-1] == pytest.approx((0.04 + 0.0) / 2)
    assert table["churn_rate"].tolist() == pytest.approx(
        [1 / 3, 0] * 5)
    assert table["lift"].iloc[0] == pytest.approx((1 / 3) / 0.2)
    # four groups of a tied score: the stable sort keeps the input order, so the churners
    # (first two rows) fall in the first group
    tied = decile_table([1, 1, 0, 0, 0, 0, 0, 0], [0.5] * 8, groups=4)
    assert tied["churn_rate"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert tied["lift"].tolist() == pytest.approx([4.0, 0, 0, 0])
    assert np.isnan(decile_table([0, 0, 0], [0.1, 0.2, 0.3])["lift"]).all()


def test_churn_metrics_are_the_single_figures():
    y, p = _tied_sample()
    figures, deciles = churn_metrics_and_deciles(y, p)
    assert figures == churn_metrics(y, p)
    assert figures == {
        "auc": roc_auc(y, p), "pr_auc": average_precision(y, p),
        "lift_at_10": lift_at(y, p, 0.1), "brier": brier(y, p),
        "ece": expected_calibration_error(y, p), "mean_score": pytest.approx(p.mean()),
        "churn_rate": pytest.approx(y.mean()), "customers": 60}
    assert deciles.equals(decile_table(y, p))
