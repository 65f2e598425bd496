"""Which source column is which canonical field: guessed from common names, or as mapped.

Without a mapping file, each canonical field is matched to a source column whose normalised
header (lower case, no spaces, underscores, dashes, dots or bracketed units) equals one of the
field's aliases in :mod:`cvm.schema`; failing that, a header that contains an alias of at least
two characters (``实付金额(元)`` → ``amount``). The guess is reported so the user can check it.
With a mapping file, its entries are used exactly and nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..schema import Field

__all__ = ["ColumnMatch", "MappingError", "normalise_header", "guess_columns", "resolve_columns"]


class MappingError(ValueError):
    """The source's columns cannot be matched to the required fields."""


@dataclass(frozen=True)
class ColumnMatch:
    """The resolved mapping: canonical field → source column name, and how it was found."""

    columns: dict[str, str]
    guessed: bool

    def describe(self) -> str:
        how = "guessed" if self.guessed else "mapped"
        pairs = ", ".join(f"{field} ← {col!r}" for field, col in self.columns.items())
        return f"columns {how}: {pairs}"


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
    missing = [f for f in fields if f.required and f.name not in found]
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


def resolve_columns(source_name: str, columns: list[str], fields: tuple[Field, ...],
                    mapping: dict[str, str | int] | None) -> ColumnMatch:
    """Use the mapping when given (exactly), else guess."""
    if not mapping:
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
    missing = [f.name for f in fields if f.required and f.name not in resolved]
    if missing:
        raise MappingError(
            f"{source_name}: the mapping file does not name a column for "
            f"{', '.join(missing)}, which is required"
        )
    return ColumnMatch(resolved, guessed=False)
