"""Golden records: one row per unified customer, each field taken from one of its records by an
explicit survivorship rule, with the source it came from.

Rules (per field):

- ``priority``: the record from the source listed first in ``source_priority`` (sources not
  listed come after, in name order);
- ``recent``: the record loaded last (latest file, then the later row in it);
- ``complete``: the record with the most fields filled in.

Whatever the rule, empty values never survive, and a phone, email or id number that failed its
check survives only when the customer has no valid one. Ties are broken by source priority,
then by recency. Default: ``recent`` for contact fields (phone, email, city, address), which
change, and ``complete`` for identity fields (name, id number, birth date, gender), where the
fullest record is the most carefully kept one.

Values are given in normalised form where one exists (E.164 phone, lower-case email, 18-digit
id number with upper-case X, gender ``M``/``F``), else as the source wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from ..workspace import Workspace

__all__ = ["Survivorship", "GOLDEN_FIELDS", "RULES", "golden_records"]

RULES = ("priority", "recent", "complete")

#: golden-record fields, in output order
GOLDEN_FIELDS = ("name", "phone", "email", "national_id", "birth_date", "gender", "city",
                 "address", "signup_date", "owner")

_DEFAULT_RULES = {"name": "complete", "national_id": "complete", "birth_date": "complete",
                  "gender": "complete", "phone": "recent", "email": "recent", "city": "recent",
                  "address": "recent", "signup_date": "complete", "owner": "recent"}


@dataclass(frozen=True)
class Survivorship:
    """Which record's value survives, per field (see the module documentation).

    - ``rules``: field → ``priority``, ``recent`` or ``complete`` (unlisted fields use the
      default rule for that field);
    - ``source_priority``: sources from most to least trusted.
    """

    rules: dict[str, str] = field(default_factory=dict)
    source_priority: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, rule in self.rules.items():
            if name not in GOLDEN_FIELDS:
                raise ValueError(f"no golden-record field {name!r}; fields are "
                                 f"{', '.join(GOLDEN_FIELDS)}")
            if rule not in RULES:
                raise ValueError(f"survivorship rule for {name} must be one of "
                                 f"{', '.join(RULES)}, not {rule!r}")

    def rule(self, name: str) -> str:
        return self.rules.get(name, _DEFAULT_RULES[name])


def golden_records(ws: Workspace, records: pa.Table, customer_ids: list[str],
                   survivorship: Survivorship | None = None) -> pa.Table:
    """One golden record per customer.

    ``records`` is the normalised record table (:mod:`cvm.identity.records`) in record-id
    order; ``customer_ids`` the unified id of each record.
    """
    surv = survivorship or Survivorship()
    keyed = pa.table({
        "source": records.column("source"),
        "source_customer_id": records.column("source_customer_id"),
        "customer_id": pa.array(customer_ids, pa.string()),
        "phone_norm": records.column("phone"),
        "email_norm": records.column("email"),
        "national_id_norm": records.column("national_id"),
        "gender_norm": records.column("gender"),
        "birth_norm": records.column("birth_date"),
    })
    priority = list(surv.source_priority)
    con = ws.con
    con.register("_golden_keyed", keyed)
    con.register("_golden_priority", pa.table({"source": pa.array(priority, pa.string()),
                                               "rank": pa.array(range(len(priority)),
                                                                pa.int64())}))
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _golden_in AS
            SELECT k.customer_id, k.source, k.source_customer_id,
                   s.name, coalesce(k.phone_norm, s.phone) AS phone,
                   coalesce(k.email_norm, s.email) AS email,
                   coalesce(k.national_id_norm, s.national_id) AS national_id,
                   k.birth_norm AS birth_date, coalesce(k.gender_norm, s.gender) AS gender,
                   s.city, s.address, s.signup_date, s.owner,
                   k.phone_norm IS NULL AS phone_unchecked,
                   k.email_norm IS NULL AS email_unchecked,
                   k.national_id_norm IS NULL AS national_id_unchecked,
                   coalesce(p.rank, 1000000) AS priority_rank, s.source AS priority_name,
                   -epoch(coalesce(f.loaded_at, TIMESTAMP '1970-01-01')) AS recency,
                   -s.source_row AS row_recency,
                   -((s.name IS NOT NULL)::INT + (s.phone IS NOT NULL)::INT
                     + (s.email IS NOT NULL)::INT + (s.national_id IS NOT NULL)::INT
                     + (s.birth_date IS NOT NULL)::INT + (s.gender IS NOT NULL)::INT
                     + (s.city IS NOT NULL)::INT + (s.address IS NOT NULL)::INT) AS incompleteness
            FROM _golden_keyed k
            JOIN source_customers s USING (source, source_customer_id)
            LEFT JOIN files f ON f.file_id = s.file_id
            LEFT JOIN _golden_priority p ON p.source = s.source
            """)
        picks = []
        for name in GOLDEN_FIELDS:
            rule = surv.rule(name)
            checked = f"{name}_unchecked, " if name in ("phone", "email", "national_id") else ""
            order = {
                "priority": "priority_rank, priority_name, recency, row_recency",
                "recent": "recency, row_recency, priority_rank, priority_name",
                "complete": "incompleteness, priority_rank, priority_name, recency, row_recency",
            }[rule]
            key = f"({checked}{order}, source, source_customer_id)"
            picks.append(f"arg_min({name}, {key}) FILTER (WHERE {name} IS NOT NULL) AS {name}")
            picks.append(f"arg_min(source, {key}) FILTER (WHERE {name} IS NOT NULL) "
                         f"AS {name}_source")
        return con.execute(
            f"""
            SELECT customer_id, {', '.join(picks)},
                   count(*) AS records,
                   string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
            FROM _golden_in GROUP BY customer_id ORDER BY customer_id
            """).to_arrow_table()
    finally:
        con.unregister("_golden_keyed")
        con.unregister("_golden_priority")
        con.execute("DROP TABLE IF EXISTS _golden_in")
