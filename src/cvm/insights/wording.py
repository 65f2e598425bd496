"""A run's stored keys in the reader's language.

A run stores keys (segment keys, lifecycle stages, matrix cells, actions) and, for the lifecycle
reason, the rule that decided with its numbers. The run was made in one language; whoever reads
it may read another. :class:`RunWording` words what a run stores in the language asked for:

- segment labels from the run's RFM scheme (built-in or the scheme file the run used, which
  carries both languages); the label stored with the run when the scheme file is gone;
- the playbook's objective and budget from the built-in playbook of the reader's language when
  the run used the built-in playbook (a playbook file of one's own is the user's text and is
  shown as written); actions by their keys in :mod:`cvm.vocabulary`;
- the lifecycle reason worded again from ``lifecycle_rule`` and its numbers (runs made before
  these were stored keep their stored reason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from ..config import LifecycleOptions
from ..features.lifecycle import REASON_COLUMNS, TREND_COLUMNS, lifecycle_reasons
from ..features.rfm_schemes import SchemeError, load_scheme
from ..segments.playbook import builtin_plays
from ..vocabulary import action_label, actions_text, cell_label, key_label

if TYPE_CHECKING:  # pragma: no cover
    from .stored import StoredResults

__all__ = ["RunWording"]


class RunWording:
    """The words of run ``run_id`` in ``lang`` (``"en"`` or ``"zh"``)."""

    def __init__(self, reader: StoredResults, run_id: int, lang: str):
        self.reader, self.run_id, self.lang = reader, run_id, lang
        self.config = reader.config(run_id)

    # -- segments ----------------------------------------------------------------------------

    def segment_labels(self) -> dict[str, str]:
        """Segment key → label in the reader's language (empty when the scheme is gone)."""
        name = ((self.config.get("rfm") or {}).get("scheme")
                or (self.reader.summary(self.run_id).get("info") or {}).get("scheme"))

        def compute():
            try:
                scheme = load_scheme(name)
            except (SchemeError, OSError, TypeError):
                return {}
            return {s.key: s.label(self.lang) for s in scheme.segments}
        return self.reader.cached(("segment_labels", name, self.lang), compute) if name else {}

    def segment(self, key: str | None, stored: str | None = None) -> str | None:
        if key is None:
            return stored
        return self.segment_labels().get(key, stored if stored is not None else key)

    def segment_rows(self, rows: list[dict], key: str = "segment", label: str = "label"
                     ) -> list[dict]:
        """``rows`` with ``label`` worded from ``key``."""
        return [dict(r, **{label: self.segment(r.get(key), r.get(label))}) for r in rows]

    # -- playbook ----------------------------------------------------------------------------

    def _builtin_plays(self):
        info = (self.reader.summary(self.run_id).get("info") or {}).get("stages") or {}
        used = (info.get("matrix") or {}).get("playbook_path")
        matrix = self.config.get("matrix") or {}
        lifecycle = self.config.get("lifecycle") or {}
        key = ("playbook", used, self.lang, matrix.get("scheme"), lifecycle.get("scheme"))
        return self.reader.cached(key, lambda: builtin_plays(
            used, self.lang, scheme=matrix.get("scheme") or "seed12",
            lifecycle_scheme=lifecycle.get("scheme") or "seed"))

    def playbook_rows(self, rows: list[dict]) -> list[dict]:
        """Matrix rows with ``cell_label``, the objective and budget in the reader's language
        (for the built-in playbook) and the actions as words."""
        plays = self._builtin_plays()
        out = []
        for r in rows:
            r = dict(r)
            play = plays.get(r.get("cell")) if plays else None
            if play is not None:
                r["objective"], r["budget"] = play.objective, play.budget
            if "actions" in r:
                r["action_keys"] = r["actions"]
                r["actions"] = actions_text(r["actions"], self.lang)
            r["cell_label"] = cell_label(r.get("cell"), self.lang)
            out.append(r)
        return out

    # -- one customer ------------------------------------------------------------------------

    def customer(self, row: dict) -> dict:
        """A customer row with its segment, stage, action and lifecycle reason worded."""
        row = dict(row)
        if "rfm_segment" in row:
            row["rfm_segment_label"] = self.segment(row["rfm_segment"],
                                                    row.get("rfm_segment_label"))
        if row.get("lifecycle_stage") is not None:
            row["lifecycle_stage_label"] = key_label(row["lifecycle_stage"], self.lang)
        if row.get("matrix_cell") is not None:
            row["matrix_cell_label"] = cell_label(row["matrix_cell"], self.lang)
        if "recommended_action" in row:
            row["recommended_action_key"] = row["recommended_action"]
            row["recommended_action"] = action_label(row["recommended_action"], self.lang)
        if "lifecycle_rule" in row and "lifecycle_reason" in row:
            row["lifecycle_reason"] = self.reason(row)
        if row.get("churn_reason") is not None:
            row.update(self.advice(row))
        return row

    def advice(self, row: dict) -> dict:
        """The churn reason worded again in the reader's language (with the complaints and
        why the stage and the risk disagree) and the numbers behind the action
        (:func:`cvm.insights.advice.action_reason`)."""
        import pandas as pd

        from .advice import action_reason
        from .churn import reworded_reasons

        churn = ((self.reader.summary(self.run_id).get("info") or {}).get("stages") or {}
                 ).get("churn") or {}
        at_risk = float(churn.get("at_risk") or 0.5)
        frame = pd.DataFrame([{k: (None if v is None else v) for k, v in row.items()}])
        out = {"churn_reason": reworded_reasons(frame, self.lang, at_risk=at_risk)[0]}
        matrix = ((self.reader.summary(self.run_id).get("info") or {}).get("stages") or {}
                  ).get("matrix", {})
        cells = matrix.get("cells") or []
        play = next((c for c in cells if c.get("cell") == row.get("matrix_cell")), None)
        out["action_reason"] = action_reason(row, self.lang,
                                             contact_cost=churn.get("contact_cost"),
                                             recovery=churn.get("recovery"), play=play,
                                             min_gain=matrix.get("min_gain"))
        return out

    def reason(self, row: dict) -> str | None:
        """The lifecycle reason of one customer row, worded from its rule and numbers."""
        options = _lifecycle_options(self.config.get("lifecycle") or {})
        names = set(REASON_COLUMNS) | set(TREND_COLUMNS) | {"probability_alive"}
        table = pa.Table.from_pylist([{k: v for k, v in row.items() if k in names}])
        if "probability_alive" not in table.column_names:
            table = table.append_column("probability_alive", pa.nulls(1, pa.float64()))
        return lifecycle_reasons(table, options, lang=self.lang)[0].as_py()


def _lifecycle_options(stored: dict) -> LifecycleOptions:
    known = LifecycleOptions.__dataclass_fields__
    return LifecycleOptions(**{k: v for k, v in stored.items() if k in known})
