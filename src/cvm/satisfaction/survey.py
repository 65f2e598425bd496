"""Survey responses in, nothing lost: read a survey export, check every answer, store it.

A survey file (CSV, Excel, JSON lines, Parquet or an in-memory table, read by the transaction
ingest's readers, :func:`cvm.ingest.readers.read_source`) holds one row per response: a
respondent or customer id, a date, and the answers. Each answer column is an *item* with

- a ``scale``: ``1-5``, ``1-7``, ``1-10`` or ``0-10`` (whole numbers only);
- a ``role``: ``attribute`` (rates one attribute of the service), ``overall`` (overall
  satisfaction), ``recommend`` (likelihood to recommend, always ``0-10``) or ``expectation``
  (what the customer expected of the attribute named by ``expectation_of``);
- an attribute ``group`` (attributes only; e.g. ``delivery``, ``salesperson``);
- ``reversed``: a negatively worded item, stored as ``min + max − answer``;
- ``dont_know`` codes: answers such as ``不知道``, ``99`` that mean "no opinion". They are
  stored as missing, never as zero.

These come from a definition file (``survey.toml``, see :func:`read_definition`); without one,
they are guessed from the headers and the values (:func:`guess_definition`) and the guess is
printed. A row whose respondent id is empty, whose date cannot be read, or one of whose answers
is not a number or is off its scale (``6`` on a 1–5 item, ``3.5`` on any) is rejected whole,
with file, row, field, value and reason in the workspace's ``rejects`` table, by the same
machinery as transactions: rows read = rows loaded + rows rejected.

A respondent id is linked to the unified customer id as a transaction's customer id is: through
``xref`` for the definition's ``source`` system, and kept as it is where no link exists.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import IngestOptions
from ..errors import CvmError
from ..ingest.columns import normalise_header, resolve_columns
from ..ingest.load import (LoadReport, _column_map, _column_text, _insert_rejects, _parse,
                           _record_file, _Rejects, _sha256)
from ..ingest.parsed_column import fold
from ..ingest.readers import read_source
from ..ingest.values import parse_numbers
from ..schema import TRANSACTION_FIELDS, Field
from ..workspace import Workspace

__all__ = ["SurveyError", "Item", "SurveyDefinition", "Survey", "SURVEY_FIELDS", "SCALES",
           "DEFAULT_DONT_KNOW", "read_definition", "guess_definition", "load_survey",
           "read_survey"]

#: the scales an item may have: (lowest, highest) answer
SCALES = {"1-5": (1, 5), "1-7": (1, 7), "1-10": (1, 10), "0-10": (0, 10)}
ROLES = ("attribute", "overall", "recommend", "expectation")
#: answers read as "don't know" (missing) on every item, compared after NFKC folding, lower case
DEFAULT_DONT_KNOW = ("不知道", "不清楚", "说不清", "不适用", "无法评价", "don't know", "dont know",
                     "dk", "n/a", "na")

SURVEY_FIELDS: tuple[Field, ...] = (
    Field("respondent_id", "id", True,
          ("respondentid", "respondent", "受访者", "受访者编号", "受访者id", "答卷人")
          + TRANSACTION_FIELDS[0].aliases,
          "who answered (a respondent or customer id)"),
    Field("response_date", "date", True,
          ("responsedate", "surveydate", "date", "answeredat", "submittedat", "submitted", "time",
           "调查日期", "填写日期", "提交日期", "提交时间", "答卷时间", "日期", "时间"),
          "when the survey was answered"),
    Field("store", "text", False, TRANSACTION_FIELDS[-2].aliases, "the store or branch"),
    Field("channel", "text", False, TRANSACTION_FIELDS[-3].aliases, "the sales channel"),
)

REJECT_CODES = {
    "missing_customer_id": "no respondent id",
    "bad_date": "the date cannot be read",
    "bad_answer": "an answer is not a number",
    "out_of_scale": "an answer is off its item's scale",
}

_DDL = """
CREATE TABLE IF NOT EXISTS survey_items (
    file_id INTEGER, item VARCHAR, role VARCHAR, grp VARCHAR, scale VARCHAR,
    scale_min DOUBLE, scale_max DOUBLE, reversed BOOLEAN, expectation_of VARCHAR,
    weight DOUBLE, guessed BOOLEAN, position INTEGER);
CREATE TABLE IF NOT EXISTS survey_responses (
    file_id INTEGER, source_row BIGINT, source VARCHAR, respondent_id VARCHAR,
    response_date DATE, store VARCHAR, channel VARCHAR);
CREATE TABLE IF NOT EXISTS survey_answers (
    file_id INTEGER, source_row BIGINT, item VARCHAR, answer DOUBLE, dont_know BOOLEAN);
"""


class SurveyError(CvmError, ValueError):
    """A survey definition or a survey file cannot be used; the message says why."""


@dataclass(frozen=True)
class Item:
    """One answer column of a survey."""

    name: str
    scale: str
    role: str = "attribute"
    group: str | None = None
    reversed: bool = False
    expectation_of: str | None = None
    dont_know: tuple[str, ...] = ()
    guessed: bool = False

    @property
    def low(self) -> int:
        return SCALES[self.scale][0]

    @property
    def high(self) -> int:
        return SCALES[self.scale][1]

    def describe(self) -> str:
        """``'交车速度': 1-5, attribute of delivery, reversed``."""
        what = self.role
        if self.role == "attribute" and self.group:
            what += f" of {self.group}"
        if self.role == "expectation":
            what += f" of {self.expectation_of!r}"
        return f"{self.name!r}: {self.scale}, {what}" + (", reversed" if self.reversed else "")


@dataclass(frozen=True)
class SurveyDefinition:
    """The items of a survey, its columns, its groups' weights and its don't-know codes."""

    items: tuple[Item, ...]
    columns: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    source: str = "default"
    dont_know: tuple[str, ...] = DEFAULT_DONT_KNOW
    guessed: bool = False

    def item(self, name: str) -> Item:
        return next(i for i in self.items if i.name == name)

    def describe(self) -> list[str]:
        return [i.describe() for i in self.items]


def _scale(value, where: str) -> str:
    text = str(value).replace("–", "-").replace(" ", "")
    if text not in SCALES:
        raise SurveyError(f"{where}: scale {value!r} is not one of {', '.join(SCALES)}")
    return text


def read_definition(path: str | Path) -> SurveyDefinition:
    """Read a ``survey.toml``::

        source = "pos"                    # the system whose customer ids respondents are
        dont_know = ["不知道", "99"]       # don't-know codes of every item (missing, not zero)

        [columns]                         # optional: else guessed from the headers
        respondent_id = "会员编号"
        response_date = "填写日期"

        [groups]                          # the attribute groups' weights (normalised to sum 1)
        delivery = 0.23

        [items."交车速度"]                 # one table per answer column
        scale = "1-5"
        group = "delivery"
        reversed = false
        dont_know = ["9"]                 # this item's own codes, besides the common ones
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SurveyError(f"{path}: no such definition file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SurveyError(f"{path} is not a readable TOML file ({exc})") from None
    common = tuple(str(c) for c in data.get("dont_know", DEFAULT_DONT_KNOW))
    items = []
    for name, spec in (data.get("items") or {}).items():
        where = f"{path.name}, item {name!r}"
        role = spec.get("role", "attribute")
        if role not in ROLES:
            raise SurveyError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
        scale = _scale(spec.get("scale", "0-10" if role == "recommend" else ""), where)
        if role == "recommend" and scale != "0-10":
            raise SurveyError(f"{where}: likelihood to recommend is asked on 0-10, not {scale}")
        group = spec.get("group")
        if role == "attribute" and not group:
            group = name
        if role == "expectation" and not spec.get("expectation_of"):
            raise SurveyError(f"{where}: an expectation item names the attribute it is the "
                              "expectation of (expectation_of = \"…\")")
        items.append(Item(str(name), scale, role, group, bool(spec.get("reversed", False)),
                          spec.get("expectation_of"),
                          tuple(str(c) for c in spec.get("dont_know", ()))))
    if not items:
        raise SurveyError(f"{path} defines no items: add an [items.\"column\"] table per answer")
    names = {i.name for i in items}
    for i in items:
        if i.expectation_of and i.expectation_of not in names:
            raise SurveyError(f"{path.name}, item {i.name!r}: expectation_of names "
                              f"{i.expectation_of!r}, which is not an item")
    weights = {str(k): float(v) for k, v in (data.get("groups") or {}).items()}
    groups = {i.group for i in items if i.role == "attribute"}
    unknown = sorted(set(weights) - groups)
    if unknown:
        raise SurveyError(f"{path.name}: [groups] weighs {', '.join(unknown)}, which no "
                          "attribute item belongs to")
    if weights and set(weights) != groups:
        raise SurveyError(f"{path.name}: [groups] gives no weight to "
                          f"{', '.join(sorted(groups - set(weights)))}; weigh every group or none")
    if any(w < 0 for w in weights.values()) or (weights and sum(weights.values()) <= 0):
        raise SurveyError(f"{path.name}: group weights must be ≥ 0 and not all 0")
    return SurveyDefinition(tuple(items), {str(k): str(v) for k, v in
                                           (data.get("columns") or {}).items()},
                            weights, str(data.get("source", "default")), common)


_RECOMMEND = re.compile(r"recommend|推荐|nps", re.I)
_OVERALL = re.compile(r"overall|总体|整体|总满意|综合满意", re.I)
_EXPECT = re.compile(r"^(expect(ed|ation)?|期望|预期)[\s_\-:：]*", re.I)


def _dont_know_mask(values: pa.Array, codes: tuple[str, ...]) -> np.ndarray:
    folded = pc.utf8_lower(fold(values))
    wanted = pa.array(sorted({str(c).strip().lower() for c in codes} |
                             {fold(pa.array([str(c)])).to_pylist()[0].lower() for c in codes}))
    return pc.is_in(folded, value_set=wanted).fill_null(False).to_numpy(zero_copy_only=False)


def _guess_scale(values: np.ndarray) -> str | None:
    """The scale of a column of numbers: 0-10 when at least 5 % of the answers are 0 … 1,
    else the smallest of 1-5, 1-7, 1-10 that holds at least 95 % of them (so a few stray
    answers off the scale are rejected, not taken for a wider scale); None when no scale holds
    95 %."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return None
    inside = lambda low, high: np.mean((values >= low) & (values <= high))  # noqa: E731
    if np.mean((values >= 0) & (values < 1)) >= 0.05 and inside(0, 10) >= 0.95:
        return "0-10"
    for scale in ("1-5", "1-7", "1-10"):
        if inside(*SCALES[scale]) >= 0.95:
            return scale
    return None


def guess_definition(table: pa.Table, columns: dict[str, str], *,
                     dont_know: tuple[str, ...] = DEFAULT_DONT_KNOW) -> SurveyDefinition:
    """Guess the items of a survey read without a definition.

    Every column not taken by the id, date, store or channel whose values (don't-know codes
    aside) are at least 80 % numbers is an item; its scale is guessed by :func:`_guess_scale`.
    A header naming recommendation (``recommend``, ``推荐``, ``NPS``) makes a 0-10
    likelihood-to-recommend item; ``overall``, ``总体``, ``整体`` overall satisfaction; a header
    starting ``expect``/``期望``/``预期`` followed by another item's header, that item's
    expectation. Every other item is an attribute, in a group of its own.
    """
    taken = set(columns.values())
    items: list[Item] = []
    for name in table.column_names:
        if name in taken:
            continue
        raw = table.column(name).combine_chunks() if table.num_rows else pa.array([], pa.string())
        raw = raw.cast(pa.string()) if not pa.types.is_string(raw.type) else raw
        dk = _dont_know_mask(raw, dont_know)
        parsed = parse_numbers(pc.if_else(pa.array(dk), pa.scalar(None, pa.string()), raw))
        present = np.array([e != "missing" for e in parsed.errors], dtype=bool) & ~dk
        if present.sum() == 0 or parsed.ok[present].mean() < 0.8:
            continue
        scale = _guess_scale(parsed.values[parsed.ok])
        if scale is None:
            continue
        role, of, group = "attribute", None, name
        if _RECOMMEND.search(name):
            role, scale, group = "recommend", "0-10", None
        elif _OVERALL.search(name):
            role, group = "overall", None
        items.append(Item(name, scale, role, group, guessed=True))
    names = {normalise_header(i.name): i.name for i in items}
    for k, item in enumerate(items):
        stripped = _EXPECT.sub("", item.name)
        if stripped != item.name and normalise_header(stripped) in names:
            items[k] = replace(item, role="expectation", group=None,
                               expectation_of=names[normalise_header(stripped)])
    if not items:
        raise SurveyError("no column of the survey reads as answers on a 1-5, 1-7, 1-10 or 0-10 "
                          "scale: give a definition file (--definition survey.toml)")
    return SurveyDefinition(tuple(items), dict(columns), {}, "default", dont_know, guessed=True)


@dataclass
class SurveyLoad(LoadReport):
    """What a survey load did, and the items it used (guessed ones are said so)."""

    items: list[str] = field(default_factory=list)


def _ensure_tables(ws: Workspace) -> None:
    with ws.transaction() as con:
        con.execute(_DDL)


def load_survey(ws: Workspace, source, *, definition: SurveyDefinition | str | Path | None = None,
                options: IngestOptions | None = None) -> SurveyLoad:
    """Load survey responses into the workspace: every row read is loaded or rejected."""
    if definition is not None and not isinstance(definition, SurveyDefinition):
        definition = read_definition(definition)
    options = options or IngestOptions()
    _ensure_tables(ws)
    fingerprint = json.dumps({"options": asdict(options),
                              "definition": asdict(definition) if definition else None},
                             sort_keys=True, default=str, ensure_ascii=False)
    digest = _sha256(source)
    if digest is not None:
        known = ws.find_file("survey", digest, fingerprint)
        if known is not None:
            name = Path(str(source)).name
            return SurveyLoad(
                file=name, table="survey", rows_read=0, rows_loaded=0, rows_rejected=0,
                skipped=True, file_id=known["file_id"],
                message=(f"{name}: same content already loaded on "
                         f"{known['loaded_at']:%Y-%m-%d %H:%M} as {known['name']}; nothing added"))
    raw = read_source(source, options)
    match = resolve_columns(raw.name, raw.table.column_names, SURVEY_FIELDS,
                            definition.columns if definition and definition.columns else None)
    if definition is None:
        definition = guess_definition(raw.table, match.columns)
    missing = [i.name for i in definition.items if i.name not in raw.table.column_names]
    if missing:
        raise SurveyError(f"{raw.name}: the definition names item(s) "
                          f"{', '.join(repr(m) for m in missing)}, which the file does not have; "
                          f"its columns are {', '.join(repr(c) for c in raw.table.column_names)}")
    n = raw.table.num_rows
    rejects = _Rejects(n)
    by_name = {f.name: f for f in SURVEY_FIELDS}
    parsed: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    for name, column in match.columns.items():
        result = _parse(by_name[name], raw, column, options, notes)
        if by_name[name].required and (~result.ok).any():
            rejects.add(~result.ok, rows=raw.rows, field_name=column,
                        values=_column_text(raw, column),
                        code="missing_customer_id" if name == "respondent_id" else "bad_date",
                        reasons=np.where(result.errors == "missing",
                                         REJECT_CODES["missing_customer_id"]
                                         if name == "respondent_id" else "no date",
                                         result.errors))
        parsed[name] = result.values
    match = replace(match, notes=notes)
    answers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for item in definition.items:
        column = raw.table.column(item.name).combine_chunks()
        column = column.cast(pa.string()) if not pa.types.is_string(column.type) else column
        dk = _dont_know_mask(column, definition.dont_know + item.dont_know)
        result = parse_numbers(pc.if_else(pa.array(dk), pa.scalar(None, pa.string()), column))
        bad = ~result.ok & np.array([e != "missing" for e in result.errors], dtype=bool) & ~dk
        if bad.any():
            rejects.add(bad, rows=raw.rows, field_name=item.name,
                        values=_column_text(raw, item.name), code="bad_answer",
                        reasons=result.errors)
        values = result.values
        off = ~np.isnan(values) & ((values < item.low) | (values > item.high)
                                   | (values != np.round(values)))
        if off.any():
            text = _column_text(raw, item.name)
            rejects.add(off, rows=raw.rows, field_name=item.name, values=text,
                        code="out_of_scale",
                        reasons=np.array([f"{t!r} is not an answer on the {item.scale} scale"
                                          for t in text], dtype=object))
        if item.reversed:
            values = item.low + item.high - values  # a negatively worded item, turned round
        answers[item.name] = (values, dk)
    good = ~rejects.bad
    m = int(good.sum())

    def text_col(name):
        if name not in parsed:
            return pa.nulls(m, pa.string())
        return pa.array([None if v is None else str(v) for v in parsed[name][good]], pa.string())

    responses = pa.table({
        "source_row": pa.array(raw.rows[good], pa.int64()),
        "source": pa.array([definition.source] * m, pa.string()),
        "respondent_id": text_col("respondent_id"),
        "response_date": pa.array(parsed["response_date"].astype("datetime64[D]")[good],
                                  pa.date32()),
        "store": text_col("store"),
        "channel": text_col("channel"),
    })
    rows = raw.rows[good]
    long = pa.table({
        "source_row": pa.array(np.tile(rows, len(definition.items)), pa.int64()),
        "item": pa.array(np.repeat([i.name for i in definition.items], m).tolist(), pa.string()),
        "answer": pa.array(np.concatenate([answers[i.name][0][good] for i in definition.items])
                           if m else np.array([]), pa.float64(), from_pandas=True),
        "dont_know": pa.array(np.concatenate([answers[i.name][1][good]
                                              for i in definition.items])
                              if m else np.array([], bool), pa.bool_()),
    })
    weights = definition.weights
    items = pa.table({
        "item": [i.name for i in definition.items],
        "role": [i.role for i in definition.items],
        "grp": [i.group for i in definition.items],
        "scale": [i.scale for i in definition.items],
        "scale_min": [float(i.low) for i in definition.items],
        "scale_max": [float(i.high) for i in definition.items],
        "reversed": [i.reversed for i in definition.items],
        "expectation_of": [i.expectation_of for i in definition.items],
        "weight": pa.array([weights.get(i.group) if i.group else None
                            for i in definition.items], pa.float64()),
        "guessed": [definition.guessed] * len(definition.items),
        "position": pa.array(range(len(definition.items)), pa.int32()),
    })
    with ws.transaction() as con:
        file_id = con.execute("SELECT nextval('file_ids')").fetchall()[0][0]
        _insert_rejects(con, rejects.table(file_id, raw.name, raw.bad_records))
        for table, data in (("survey_responses", responses), ("survey_answers", long),
                            ("survey_items", items)):
            con.register("_survey_in", data)
            cols = ", ".join(data.column_names)
            con.execute(f"INSERT INTO {table} (file_id, {cols}) SELECT ?, {cols} "
                        "FROM _survey_in", [file_id])
            con.unregister("_survey_in")
        reasons, rejected = _record_file(
            con, file_id=file_id, table="survey", raw=raw, source=source, digest=digest,
            loaded=m, columns=match.describe(), options=fingerprint,
            column_map=_column_map(match, options))
    return SurveyLoad(file=raw.name, table="survey", rows_read=raw.rows_read, rows_loaded=m,
                      rows_rejected=rejected, reasons=reasons, columns=match.describe(),
                      file_id=file_id, items=definition.describe())


@dataclass
class Survey:
    """The loaded responses, one row each, and the items they answer.

    ``responses``: ``respondent_id``, ``customer_id`` (the unified id), ``response_date``,
    ``store``, ``channel`` and one column per item holding the answer on its own scale
    (reversed items already turned round; NaN where not answered or "don't know").
    ``items``: one row per item (``item``, ``role``, ``group``, ``scale``, ``scale_min``,
    ``scale_max``, ``reversed``, ``expectation_of``, ``weight``), as the latest file that
    has it defines it.
    """

    responses: pd.DataFrame
    items: pd.DataFrame

    def of_role(self, role: str) -> list[str]:
        return self.items.loc[self.items["role"] == role, "item"].tolist()

    def rescaled(self, item: str, top: float = 1000.0) -> np.ndarray:
        """Answers of ``item`` rescaled linearly to 0…``top``: ``top · (x − min)/(max − min)``
        (so 1 on a 1-5 scale is 0 and 5 is ``top``)."""
        row = self.items.set_index("item").loc[item]
        x = self.responses[item].to_numpy(dtype=float)
        return top * (x - row["scale_min"]) / (row["scale_max"] - row["scale_min"])

    @property
    def group_weights(self) -> dict[str, float]:
        w = self.items.dropna(subset=["weight"]).drop_duplicates("group")
        return dict(zip(w["group"], w["weight"].astype(float)))

    def __len__(self) -> int:
        return len(self.responses)


def has_survey(ws: Workspace) -> bool:
    """Whether the workspace holds survey responses."""
    rows = ws.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'survey_responses'")
    return bool(rows[0][0]) and ws.count("survey_responses") > 0


def read_survey(ws: Workspace) -> Survey:
    """Every loaded response, linked to the unified customer ids (:class:`Survey`)."""
    if not has_survey(ws):
        raise SurveyError(f"workspace {ws.path} holds no survey responses: load a survey first "
                          "(cvm survey load FILE)")
    responses = ws.arrow(
        "SELECT r.file_id, r.source_row, r.respondent_id, "
        "coalesce(x.customer_id, r.respondent_id) AS customer_id, r.response_date, r.store, "
        "r.channel FROM survey_responses r LEFT JOIN xref x ON x.source = r.source AND "
        "x.source_customer_id = r.respondent_id ORDER BY r.file_id, r.source_row").to_pandas()
    answers = ws.arrow("SELECT file_id, source_row, item, answer FROM survey_answers").to_pandas()
    items = ws.arrow(
        "SELECT item, role, grp AS \"group\", scale, scale_min, scale_max, reversed, "
        "expectation_of, weight FROM (SELECT *, row_number() OVER (PARTITION BY item ORDER BY "
        "file_id DESC) AS latest, min(file_id) OVER (PARTITION BY item) AS first_file, "
        "position FROM survey_items) "
        "WHERE latest = 1 ORDER BY first_file, position").to_pandas()
    wide = answers.pivot_table(index=["file_id", "source_row"], columns="item", values="answer",
                               aggfunc="first", dropna=False)
    responses = responses.merge(wide.reset_index(), on=["file_id", "source_row"], how="left")
    for item in items["item"]:
        if item not in responses:
            responses[item] = np.nan
    responses = responses[[c for c in responses.columns if c not in set(items["item"])]
                          + items["item"].tolist()]
    responses["response_date"] = pd.to_datetime(responses["response_date"])
    return Survey(responses, items.reset_index(drop=True))
