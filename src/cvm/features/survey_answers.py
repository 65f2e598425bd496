"""Survey answers as churn features, taken at a feature date from the answers given up to it.

:func:`survey_answer_features` gives one row per customer (unified id) who answered the survey
on or before ``as_of``, from their latest such answer
(:func:`cvm.satisfaction.breakdown.survey_features`):

``survey_answered``
    1 (the customer had answered by ``as_of``);
``survey_index``
    the customer's own 1000-point index (eq. I1 on that one answer: ``Σ w_g s_g / Σ w_g`` over
    the groups answered; given weights, or weights derived from the answers up to ``as_of``);
``survey_overall``
    overall satisfaction rescaled to 0-100;
``survey_recommend``
    likelihood to recommend, 0-10;
``survey_days_since``
    calendar days from that answer to ``as_of`` (0 for an answer on the day).

An answer dated after ``as_of`` is never seen, so features taken at a training cut-off do not
learn from the window the labels come from.

**Customers without an answer by ``as_of``** (:func:`with_survey_answers`): ``survey_answered``
is 0 and the four figures are missing (NaN), never imputed with a made-up answer. A missing
item of an answer (a "don't know") is missing the same way. The churn classifiers read missing
values as they read any missing feature: gradient boosting sends them down the branch side that
fits the training labels best; the additive logistic model puts them at 0 and adds a 0/1
"missing" column per such feature, whose weight is the non-answerers' own offset
(:class:`cvm.models.churn_classifier.AdditiveLogInputs`). The ``survey_answered`` flag says the
same thing in one column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SURVEY_ANSWER_COLUMNS", "survey_answer_features", "with_survey_answers",
           "join_survey_answers", "loaded_survey"]

#: the columns the survey answers add to a churn feature table (customer_id aside)
SURVEY_ANSWER_COLUMNS = ("survey_answered", "survey_index", "survey_overall",
                         "survey_recommend", "survey_days_since")
_FROM = {"satisfaction_index": "survey_index", "overall_satisfaction": "survey_overall",
         "likelihood_to_recommend": "survey_recommend", "days_since_survey": "survey_days_since"}


def survey_answer_features(survey, *, as_of) -> pd.DataFrame:
    """``customer_id`` and :data:`SURVEY_ANSWER_COLUMNS` for each customer who answered on or
    before ``as_of`` (module doc); an empty frame with those columns when nobody had."""
    from ..satisfaction.breakdown import survey_features

    own = survey_features(survey, as_of).rename(columns=_FROM)
    out = pd.DataFrame({"customer_id": own["customer_id"].astype(str),
                        "survey_answered": np.ones(len(own))})
    for c in SURVEY_ANSWER_COLUMNS[1:]:
        out[c] = pd.to_numeric(own[c], errors="coerce").astype(float).to_numpy()
    return out


def with_survey_answers(frame: pd.DataFrame, survey, *, as_of) -> pd.DataFrame:
    """``frame`` (one row per ``customer_id``) with the survey features at ``as_of``: 0 and
    missing for the customers without an answer by then (module doc). ``frame`` as it is when
    ``survey`` is None (no survey loaded) or none of its customers had answered by ``as_of``
    (a flag that is 0 for everyone says nothing a model could learn)."""
    if survey is None:
        return frame
    found = survey_answer_features(survey, as_of=as_of)
    out = frame.drop(columns=[c for c in SURVEY_ANSWER_COLUMNS if c in frame])
    if not out["customer_id"].isin(found["customer_id"]).any():
        return out
    out = out.merge(found, on="customer_id", how="left")
    out["survey_answered"] = out["survey_answered"].fillna(0.0)
    return out



def loaded_survey(ws):
    """The workspace's survey (:func:`cvm.satisfaction.survey.read_survey`), or None when no
    workspace is given or it holds no survey responses."""
    if ws is None:
        return None
    from ..satisfaction.survey import has_survey, read_survey

    return read_survey(ws) if has_survey(ws) else None


def join_survey_answers(engine, features, survey, *, as_of):
    """The Ibis table ``features`` (one row per ``customer_id``) with the survey features at
    ``as_of`` joined on the engine (``survey_answered`` 0 and the figures null for the customers
    without an answer by then); ``features`` as it is without a survey or without an answer by
    ``as_of``."""
    if survey is None:
        return features
    import pyarrow as pa

    found = survey_answer_features(survey, as_of=as_of)
    if found.empty:
        return features
    said = engine.table(pa.Table.from_pandas(found, preserve_index=False), "cvm_churn_survey")
    joined = features.left_join(said, features.customer_id == said.customer_id)
    return joined.select(*features.columns,
                         survey_answered=joined.survey_answered.fill_null(0.0),
                         **{c: joined[c] for c in SURVEY_ANSWER_COLUMNS[1:]})
