"""The probabilistic linkage model: Splink's Fellegi-Sunter model, trained without labels.

Splink does the linkage: it generates candidate pairs with blocking rules, compares each field
at graded levels of agreement, estimates the u probabilities (how often a level occurs between
different people) by random sampling and the m probabilities (how often it occurs for the same
person) by expectation maximisation, adjusts exact matches on names, phones, emails and cities
by how common the value is (a match on 张伟 counts less than a match on a rare name), and gives
every candidate pair a match probability. A level that no sampled pair reached gets a u below
one sampled pair, and one that EM never saw no weight (not Splink's placeholder values). It
runs on DuckDB (a private in-memory database, so that the workspace file holds none of its
working tables) or on the Spark session.

The comparisons (graded from the strongest agreement down):

============  ====================================================================================
name          same characters · same pinyin · surname and given name swapped · the email of one
              spells the other's name (also when the other's name is missing) · same surname and
              given name one letter off · same surname and a given-name syllable the same ·
              Jaro-Winkler ≥ 0.9 · else
phone         same number · one digit wrong or two swapped · else
email         same address · same name before ``@`` at another provider (``wei.zhang@qq.com``,
              ``wei.zhang@163.com``: namesakes do that too) · same part before ``@`` · one
              character off, unless only in the number after a name (a namesake's address) · else
birth_date    same date · one digit wrong or day and month swapped · same year · else
national_id   same valid number · else (invalid numbers are never compared)
city          same · else
gender        same · else
============  ====================================================================================

Many people build the email address from their name (``zhangwei88@163.com``, ``wei.zhang@…``);
:func:`~cvm.identity.emails.email_name_key` reads that name, so a web-shop record with an
address and a card-system record with a name and a different phone can still be held together.

Blocking (a pair is scored when any rule holds): the same valid id number; the same phone;
the same email; the same name key and the first six digits of the phone; the same name key and
birth date; the same name key and city; the same surname and birth date; the same given name
and birth year; the same name key when at most 20 records have it; the email of one spelling the
name of the other when at most 20 records have that name. (A name held by more records is not
evidence enough on its own, and would bring too many pairs.)
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..engine import LinkageBackend, linkage_backend

__all__ = ["COMPARISONS", "ScoredPairs", "score_pairs"]

log = logging.getLogger(__name__)

#: comparison name → the record columns it reads
COMPARISONS: dict[str, tuple[str, ...]] = {
    "name": ("name_hanzi", "name_key", "surname", "given_name", "given_syllables", "email_name"),
    "phone": ("phone",),
    "email": ("email", "email_user", "email_number", "email_name"),
    "birth_date": ("birth_date",),
    "national_id": ("national_id",),
    "city": ("city",),
    "gender": ("gender",),
}

_MODEL_COLUMNS = ("record_id", "name_hanzi", "name_key", "surname", "given_name", "given_syllables",
                  "phone", "email", "email_user", "email_name", "email_number", "national_id",
                  "birth_date", "birth_year", "gender", "city")

#: a name key held by at most this many records is a blocking key on its own
_RARE_NAME_RECORDS = 20


@dataclass
class ScoredPairs:
    """Candidate pairs at or above the requested probability, and the trained model.

    ``pairs`` has ``record_id_l < record_id_r``, ``match_probability``, ``match_weight`` and one
    ``gamma_<comparison>`` column per comparison: the level reached (-1 when a side is empty,
    0 for the lowest, the highest number for full agreement). ``levels`` lists, per comparison,
    the level labels and match weights (the data of the match-weight chart); ``model`` is
    Splink's settings with the trained parameters.
    """

    pairs: pa.Table
    levels: list[dict] = field(default_factory=list)
    model: dict = field(default_factory=dict)
    prior_match_weight: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)


def _settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    # the local part of one record's email spells the other record's name (zhangwei88 vs 张伟)
    spells = "coalesce(email_name_l = name_key_r OR email_name_r = name_key_l, FALSE)"
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.CustomLevel(f"(name_key_l IS NULL OR name_key_r IS NULL) AND NOT {spells}",
                            label_for_charts="name missing").configure(is_null_level=True),
            cll.ExactMatchLevel("name_hanzi").configure(tf_adjustment_column="name_hanzi",
                                                        label_for_charts="same characters"),
            cll.ExactMatchLevel("name_key").configure(tf_adjustment_column="name_key",
                                                      label_for_charts="same pinyin"),
            cll.ColumnsReversedLevel("surname", "given_name", symmetrical=True).configure(
                label_for_charts="surname and given name swapped"),
            cll.CustomLevel(spells).configure(
                label_for_charts="the email of one spells the other's name"),
            cll.And(cll.ExactMatchLevel("surname"),
                    cll.DamerauLevenshteinLevel("given_name", 1)).configure(
                label_for_charts="same surname, given name one letter off"),
            cll.And(cll.ExactMatchLevel("surname"),
                    cll.ArrayIntersectLevel("given_syllables", 1)).configure(
                label_for_charts="same surname, a given-name syllable the same"),
            cll.JaroWinklerLevel("name_key", 0.9).configure(label_for_charts="Jaro-Winkler ≥ 0.9"),
            cll.ElseLevel(),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone").configure(label_for_charts="same number"),
            cll.DamerauLevenshteinLevel("phone", 1).configure(
                label_for_charts="one digit wrong or swapped"),
            cll.ElseLevel(),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email").configure(label_for_charts="same address"),
            # a bare name before @ (wei.zhang) at two providers is as often two namesakes
            cll.CustomLevel("email_user_l = email_user_r AND email_number_l = '' AND "
                            "email_name_l IS NOT NULL").configure(
                label_for_charts="same name before @, another provider"),
            cll.ExactMatchLevel("email_user").configure(tf_adjustment_column="email_user",
                                                        label_for_charts="same user name"),
            # a typing error, not a namesake's address (wangfang12 and wangfang13 are two people)
            cll.And(cll.DamerauLevenshteinLevel("email", 1), cll.CustomLevel(
                "email_number_l = email_number_r OR email_name_l IS NULL OR email_name_r IS NULL"
            )).configure(label_for_charts="one character off, not in the number after a name"),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date").configure(label_for_charts="same date"),
            cll.CustomLevel(
                "damerau_levenshtein(CAST(birth_date_l AS STRING), CAST(birth_date_r AS STRING)) "
                "<= 1 OR (day(birth_date_l) = month(birth_date_r) AND "
                "month(birth_date_l) = day(birth_date_r) AND year(birth_date_l) = "
                "year(birth_date_r))",
                label_for_charts="one digit wrong or day/month swapped"),
            cll.ExactMatchLevel("birth_year").configure(label_for_charts="same year"),
            cll.ElseLevel(),
        ],
    )

    def same_or_not(column: str, label: str, **configure):
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                cll.ExactMatchLevel(column).configure(label_for_charts=label, **configure),
                cll.ElseLevel(),
            ],
        )

    nid = same_or_not("national_id", "same id number")
    city = same_or_not("city", "same city", tf_adjustment_column="city")
    gender = same_or_not("gender", "same gender")
    rules = [
        block_on("national_id"),
        block_on("phone"),
        block_on("email"),
        block_on("name_key", "substr(phone, 1, 9)"),
        block_on("name_key", "birth_date"),
        block_on("name_key", "city"),
        block_on("surname", "birth_date"),
        block_on("given_name", "birth_year"),
        # a name few records have is worth scoring on its own; a common one is not
        f"l.name_key = r.name_key AND l.name_records <= {_RARE_NAME_RECORDS}",
        f"l.email_name = r.name_key AND r.name_records <= {_RARE_NAME_RECORDS}",
        f"r.email_name = l.name_key AND l.name_records <= {_RARE_NAME_RECORDS}",
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[name, phone, email, birth, nid, city, gender],
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
    )


def score_pairs(records: pa.Table, *, engine: str = "duckdb", threshold: float = 0.5,
                random_state: int = 0, memory_limit: str | None = None,
                workdir: str | Path | None = None) -> ScoredPairs:
    """Train the model on ``records`` (the linkable normalised records) and score every
    candidate pair; return the pairs with a match probability of at least ``threshold``."""
    # a folder made here (none given) is this call's alone and removed with the backend
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="cvm-link-"))
    work.mkdir(parents=True, exist_ok=True)
    backend = linkage_backend(engine, work, memory_limit)
    data = _with_name_records(records.select(list(_MODEL_COLUMNS)))
    splink_log = logging.getLogger("splink")
    level = splink_log.level
    splink_log.setLevel(logging.ERROR)  # Splink warns about every level EM cannot train
    try:
        return _train_and_predict(backend, data, threshold=threshold, random_state=random_state)
    finally:
        splink_log.setLevel(level)
        backend.close()
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)


def _train_and_predict(backend: LinkageBackend, data: pa.Table, *, threshold: float,
                       random_state: int) -> ScoredPairs:
    from splink import Linker, block_on

    timings: dict[str, float] = {}
    started = t0 = time.perf_counter()
    sdf = backend.api.register(data, table_name="cvm_link_records")
    linker = Linker(sdf, _settings(), log_level=logging.ERROR)
    n = data.num_rows
    sure = [block_on("national_id"), block_on("phone", "name_key"), block_on("email", "name_key")]
    try:
        linker.training.estimate_probability_two_random_records_match(sure, recall=0.8)
    except ValueError as exc:
        if "recall" not in str(exc):
            raise
        # more pairs agree than a recall of 80 % allows in so short a list (two records of one
        # person make one pair, and it agrees): the rules found every match
        linker.training.estimate_probability_two_random_records_match(sure, recall=1.0)
    settings = linker._settings_obj
    if settings._probability_two_random_records_match <= 0 and n > 1:
        # no pair agrees on an id, a phone or an email with the name: the prior is below one
        # pair in the list, which is taken (a prior of 0 has no match weight)
        settings._probability_two_random_records_match = 1 / (n * (n - 1) / 2)
    # and at most one half (a prior of 1, every pair a match, has no match weight either)
    settings._probability_two_random_records_match = min(
        settings._probability_two_random_records_match, 0.5)
    timings["prior"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    u_pairs = min(2e6, max(2e5, 10.0 * n), n * (n - 1) / 2)
    # chunks bound memory on large data; each chunk is a job per comparison, slow on Spark
    linker.training.estimate_u_using_random_sampling(
        max_pairs=u_pairs, seed=random_state, num_chunks=10 if n > 200_000 else 1)
    timings["u"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for rule in (block_on("name_key", "birth_date"), block_on("phone"),
                 block_on("national_id")):
        # a training session narrows the model in place (the comparisons of its rule left out,
        # the prior raised to the share of matches under the rule) and puts it back only when
        # it succeeds: a session that fails would leave the model without those comparisons
        # and with a prior of nearly 1
        kept = settings.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        except Exception as exc:  # noqa: BLE001 - too few pairs under this rule in small data
            settings.core_model_settings = kept
            log.info("EM with %s skipped: %s", rule, exc)
    unseen_by_em = _settle_unobserved_u(linker, u_pairs)
    _deduct_matches_from_u(linker, u_pairs)
    _floor_m(linker)
    _no_weight_unless_seen(unseen_by_em)
    timings["train"] = time.perf_counter() - started
    started = time.perf_counter()
    predicted = linker.inference.predict(threshold_match_probability=threshold,
                                         warning_mode="never")
    present = backend.columns(predicted.physical_name)
    # Splink leaves out a comparison whose columns are empty in every record
    gammas = ", ".join(f"gamma_{c}" if f"gamma_{c}" in present else f"-1 AS gamma_{c}"
                       for c in COMPARISONS)
    pairs_sql = (
        "SELECT least(record_id_l, record_id_r) AS record_id_l, "
        "greatest(record_id_l, record_id_r) AS record_id_r, match_probability, match_weight, "
        f"{gammas} FROM {predicted.physical_name}")
    pairs = _typed(backend.arrow(pairs_sql))
    timings["predict"] = time.perf_counter() - started
    levels, prior = _levels(linker)
    return ScoredPairs(pairs, levels, linker._settings_obj.as_dict(), prior, timings)


def _with_name_records(data: pa.Table) -> pa.Table:
    """Add ``name_records``: how many records in the list have the record's name key."""
    keys = data.column("name_key")
    counts = pc.value_counts(keys)
    values, numbers = counts.field("values"), counts.field("counts")
    index = pc.index_in(keys, value_set=values)
    return data.append_column("name_records", pc.take(numbers, index))


def _settle_unobserved_u(linker, sampled_pairs: float) -> list:
    """Give levels that training never saw an estimate instead of Splink's placeholder.

    A level that none of the sampled random pairs reached has no trained u, and one that none
    of the EM pairs reached has no trained m; Splink then scores with fixed placeholder values
    that say nothing about the data (the same 0.0125 m for every such level, say). A level
    missing from ``sampled_pairs`` random pairs has ``u`` below about ``1 / sampled_pairs``,
    which is taken. Returns the levels EM never saw (see :func:`_no_weight_unless_seen`).
    """
    unseen = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level or level._is_else_level:
                continue
            if not level._u_is_trained:
                level.u_probability = 1.0 / sampled_pairs
            if not level._m_is_trained:
                unseen.append(level)
    return unseen


def _no_weight_unless_seen(levels: list) -> None:
    """A level EM never saw among likely matches counts neither for nor against a match
    (m = u): there is no evidence which way it points."""
    for level in levels:
        level.m_probability = level.u_probability


def _deduct_matches_from_u(linker, sampled_pairs: float) -> None:
    """Take the matching pairs out of the sampled u probabilities.

    Splink samples random pairs and takes them all for non-matches. In a customer list where
    each person has about two records, a random pair is a match with probability λ (the
    trained ``probability_two_random_records_match``), about as often as two different people
    share a phone number, so the sample's u for a strong key is mostly matches. The sample's
    share of a level is ``(1 - λ)·u + λ·m``; with the m probabilities trained by EM this gives
    ``u = (share - λ·m) / (1 - λ)``, kept at least one pair in the sample (what sampling can
    resolve) and renormalised over the levels.
    """
    settings = linker._settings_obj
    lam = settings._probability_two_random_records_match
    floor = 1.0 / sampled_pairs
    for comparison in settings.comparisons:
        levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
        corrected = []
        for level in levels:
            u, m = level.u_probability, level.m_probability
            if u is None or m is None:
                corrected.append(u)
                continue
            corrected.append(max((u - lam * m) / (1 - lam), min(floor, u)))
        known = [c for c in corrected if c is not None]
        total = sum(known)
        for level, value in zip(levels, corrected):
            if value is not None and total > 0:
                level.u_probability = value / total


def _floor_m(linker, floor: float = 1e-3) -> None:
    """Keep every m probability at least ``floor`` (renormalised over the levels).

    On small lists EM can drive the m of a disagreement level (a different gender, a
    different id number) to almost zero, which turns one typing error into a veto of 40 bits
    or more; with the floor no single level counts for much more than 10 bits against a match.
    """
    for comparison in linker._settings_obj.comparisons:
        levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
        values = [lv.m_probability for lv in levels]
        if any(v is None for v in values):
            continue
        raised = [max(v, floor) for v in values]
        total = sum(raised)
        for level, value in zip(levels, raised):
            level.m_probability = value / total


def _typed(pairs: pa.Table) -> pa.Table:
    schema = pa.schema([("record_id_l", pa.int64()), ("record_id_r", pa.int64()),
                        ("match_probability", pa.float64()), ("match_weight", pa.float64())]
                       + [(f"gamma_{c}", pa.int32()) for c in COMPARISONS])
    return pairs.select(schema.names).cast(schema)


def _levels(linker) -> tuple[list[dict], float]:
    """Per comparison level: label, m, u and match weight (log2 of m/u)."""
    settings = linker._settings_obj
    rows = []
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            m, u = level.m_probability, level.u_probability
            weight = math.log2(m / u) if m and u and m > 0 and u > 0 else None
            rows.append({"comparison": comparison.output_column_name,
                         "level": level.label_for_charts,
                         "gamma": level.comparison_vector_value,
                         "m_probability": m, "u_probability": u, "match_weight": weight})
    p = settings._probability_two_random_records_match
    prior = math.log2(p / (1 - p)) if 0 < p < 1 else 0.0
    return rows, prior
