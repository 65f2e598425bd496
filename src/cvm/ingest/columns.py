"""Which source column is which canonical field: guessed from common names, or as mapped.

Without a mapping file, each canonical field is matched to a source column whose normalised
header (lower case, no spaces, underscores, dashes, dots or bracketed units) equals one of the
field's aliases in :mod:`cvm.schema`; failing that, a header that contains an alias of at least
two characters (``实付金额(元)`` → ``amount``). The guess is reported so the user can check it.
With a mapping file, its entries are used exactly and nothing is guessed.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..errors import CvmError
from ..schema import Field

__all__ = ["ColumnMatch", "MappingError", "normalise_header", "guess_columns", "guess_by_content",
           "resolve_columns"]


class MappingError(CvmError, ValueError):
    """The source's columns cannot be matched to the required fields."""


@dataclass(frozen=True)
class ColumnMatch:
    """The resolved mapping: canonical field → source column name, and how it was found."""

    columns: dict[str, str]
    guessed: bool
    from_content: bool = False
    notes: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def how(self) -> str:
        """``mapped`` (a mapping file), ``guessed`` (from the headers) or ``content`` (guessed
        from the values: the file has no header row)."""
        return "content" if self.from_content else "guessed" if self.guessed else "mapped"

    def as_dict(self) -> dict:
        """How the columns were found and which source column became which field."""
        return {"how": self.how, "columns": dict(self.columns)}

    def describe(self) -> str:
        """``columns guessed: customer_id ← 'cust', purchase_time ← 'Date' (day/month/year,
        decided from 25/03/2024), amount ← 'Amt'``: each field, its column and any note on how
        the column was read."""
        how = "guessed" if self.guessed else "mapped"
        if self.from_content:
            how = "guessed from their content (no header row)"
        pairs = ", ".join(f"{name} ← {col!r}" + (f" ({self.notes[name]})" if name in self.notes
                                                  else "")
                          for name, col in self.columns.items())
        absent = "".join(f"; {name}: {note}" for name, note in self.notes.items()
                         if name not in self.columns)
        return f"columns {how}: {pairs}{absent}"


_STRIP = re.compile(r"[\s_\-.·:/#]+")
_BRACKETS = re.compile(r"[（(\[【].*?[）)\]】]")


def normalise_header(name: str) -> str:
    """``"Dollar Value ($)"`` → ``"dollarvalue"``; ``"实付金额（元）"`` → ``"实付金额"``."""
    text = _BRACKETS.sub("", str(name)).strip().lower()
    return _STRIP.sub("", text)


def guess_columns(source_name: str, columns: list[str], fields: tuple[Field, ...]) -> ColumnMatch:
    normalised = {col: normalise_header(col) for col in columns}
    taken: set[str] = set()
    found: dict[str, str] = {}
    # exact alias matches first, for every field, so a weaker containment match cannot steal a
    # column another field names exactly
    for exact in (True, False):
        for field in fields:
            if field.name in found:
                continue
            for alias in field.aliases:
                hit = next(
                    (
                        col
                        for col, norm in normalised.items()
                        if col not in taken
                        and (norm == alias if exact else (len(alias) >= 2 and alias in norm
                                                          and not alias.isascii()))
                    ),
                    None,
                )
                if hit is not None:
                    found[field.name] = hit
                    taken.add(hit)
                    break
    missing = [f for f in fields
               if f.required and not f.column_optional and f.name not in found]
    if missing:
        lines = [
            f"{source_name}: could not tell which column holds "
            + ", ".join(f.name for f in missing)
            + f". Its columns are: {', '.join(repr(c) for c in columns)}.",
        ]
        for f in missing:
            lines.append(f"  {f.name} ({f.description}) is looked for under names such as "
                         + ", ".join(f.aliases[:8]))
        lines.append(
            "Give a mapping file (--mapping mapping.toml) naming the columns, e.g.\n"
            "  [transactions]\n"
            + "\n".join(f"  {f.name} = \"…\"" for f in fields if f.required)
        )
        raise MappingError("\n".join(lines))
    ordered = {f.name: found[f.name] for f in fields if f.name in found}
    return ColumnMatch(ordered, guessed=True)


def guess_by_content(source_name: str, table, fields: tuple[Field, ...],
                     sample: int = 2000) -> ColumnMatch:
    """For a source without a header row: find the transaction fields from what the columns hold.

    The date column is the first whose sampled values nearly all (≥ 95 %) read as dates between
    1950 and 2100; the amount column the last other one whose values nearly all read as numbers
    and include decimals; the customer id the first remaining column.
    """
    from .values import parse_dates, parse_numbers

    names = list(table.column_names)
    head = table.slice(0, sample)
    date_col = amount_col = None
    for name in names:
        values = head.column(name)
        parsed = parse_dates(values)
        ok = parsed.ok
        if ok.mean() >= 0.95:
            years = parsed.values[ok].astype("datetime64[Y]").astype(int) + 1970
            if years.min() >= 1950 and years.max() <= 2100:
                date_col = name
                break
    for name in reversed(names):
        if name == date_col:
            continue
        values = head.column(name)
        parsed = parse_numbers(values)
        texts = [v for v in values.to_pylist() if v]
        if parsed.ok.mean() >= 0.95 and any("." in t or "," in t for t in texts):
            amount_col = name
            break
    rest = [n for n in names if n not in (date_col, amount_col)]
    field_names = [f.name for f in fields]
    if date_col is None or amount_col is None or not rest or "purchase_time" not in field_names:
        raise MappingError(
            f"{source_name} has no header row and its columns could not be told apart by their "
            "content; give a mapping file naming the columns by position, e.g.\n"
            "  [transactions]\n  customer_id = 1\n  purchase_time = 3\n  amount = 5")
    return ColumnMatch({"customer_id": rest[0], "purchase_time": date_col, "amount": amount_col},
                       guessed=True, from_content=True)


def resolve_columns(source_name: str, columns: list[str], fields: tuple[Field, ...],
                    mapping: dict[str, str | int] | None, *, table=None,
                    header: bool = True) -> ColumnMatch:
    """Use the mapping when given (exactly), else guess (from content when there is no header)."""
    if not mapping:
        if not header and table is not None:
            return guess_by_content(source_name, table, fields)
        return guess_columns(source_name, columns, fields)
    resolved: dict[str, str] = {}
    for field in fields:
        if field.name not in mapping:
            continue
        ref = mapping[field.name]
        if isinstance(ref, int):
            if not 1 <= ref <= len(columns):
                raise MappingError(
                    f"{source_name}: the mapping puts {field.name} in column {ref}, but the "
                    f"source has {len(columns)} columns"
                )
            resolved[field.name] = columns[ref - 1]
        elif ref in columns:
            resolved[field.name] = ref
        else:
            close = [c for c in columns if normalise_header(c) == normalise_header(ref)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise MappingError(
                f"{source_name}: the mapping names column {ref!r} for {field.name}, but there "
                f"is no such column{hint}; columns are: {', '.join(repr(c) for c in columns)}"
            )
    missing = [f.name for f in fields
               if f.required and not f.column_optional and f.name not in resolved]
    if missing:
        raise MappingError(
            f"{source_name}: the mapping file does not name a column for "
            f"{', '.join(missing)}, which is required"
        )
    return ColumnMatch(resolved, guessed=False)
