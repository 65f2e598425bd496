"""RFM segment schemes: which segment each customer's R, F, M scores put them in.

Scores ``r_score``, ``f_score`` and ``m_score`` are integers 1–5, 5 being the best (most recent,
most frequent, highest spend); ``rfm_cell`` is the three scores as text, R first: ``"545"``.
A scheme sorts every customer into exactly one of its segments. Three are built in
(:func:`list_schemes`):

``seed4``
    The RFM primer's four classes: high value, important to retain, new customer, low value, as
    the primer defines them (a score of 4–5 is high, 3 middle, 1–2 low), with explicit rules for
    the cells the primer leaves open: high value is only R, F and M all high; a frequent buyer is
    never new or low value; a high spender who has lapsed is important to retain.
``cn8``
    The common Chinese eight classes: R, F and M each high or low against the mean score of all
    customers scored together. High means strictly above the mean; a score equal to the mean is
    low. Its 重要挽留客户 (R low, F low, M high) is not seed4's 重要挽留客户 (the primer's R low,
    F high, M middle); each scheme's ``note_en``/``note_zh`` says which one it means.
``std11``
    The eleven-segment map from Champions to Lost, on R against F and M.

The full rules, with every segment's cells, are in ``docs/rfm-schemes.md`` and in the scheme files
themselves (``cvm/features/schemes/*.toml``).

User schemes
------------
A scheme file is TOML (``.toml``) or YAML (``.yaml``/``.yml``) and uses the format the built-in
schemes use. Top-level keys:

``name``
    The scheme's name (default: the file name without its suffix).
``kind``
    ``"cells"`` (default) or ``"mean_split"``.
``description``
    Optional free text.
``note_en``, ``note_zh``
    Optional: what the segment names mean in this scheme, shown with the segment table in
    reports and by ``cvm schemes`` (both or neither).
``segments``
    A list, in display order. Each segment has ``key`` (lower-case ASCII letters, digits and
    ``_``, starting with a letter), ``label_en``, ``label_zh``, and optionally ``description_en``
    and ``description_zh``. Then, for ``kind = "cells"``, one or both of

    ``cells``
        A list of cell patterns. A pattern is three positions, R, F and M, each being a score
        ``1``–``5``, ``x`` (any score; ``*`` and ``?`` mean the same), or a bracketed set such
        as ``[45]``, ``[3-5]`` or ``[1-24]``. ``"555"`` is one cell, ``"5[45]x"`` ten.
    ``ranges``
        A list of tables with any of ``r``, ``f``, ``m``, each a score (``4``) or an inclusive
        range (``"3-5"``); a missing letter means any score. ``{r = "4-5", f = "4-5"}`` is the
        same as the pattern ``"[4-5][4-5]x"``.

    and for ``kind = "mean_split"``

    ``split``
        One pattern or a list of them over ``H`` (above the mean), ``L`` (at or below it) and
        ``x`` (either), R, F, M in that order: ``"HHH"``, ``"LxH"``.

Every one of the 125 cells (or the 8 high/low combinations) must belong to exactly one segment;
otherwise :class:`SchemeError` lists every cell with no segment and every cell claimed by more
than one, naming the segments. Unknown keys, duplicate segment keys, missing labels, bad patterns
and unreadable files are reported the same way, naming the file.

A minimal file::

    name = "two_tier"
    [[segments]]
    key = "active"
    label_en = "Active"
    label_zh = "活跃客户"
    cells = ["[3-5]xx"]
    [[segments]]
    key = "inactive"
    label_en = "Inactive"
    label_zh = "不活跃客户"
    ranges = [{r = "1-2"}]
"""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ibis
import ibis.expr.types as ir
import yaml

from ..errors import CvmError

__all__ = [
    "ALL_CELLS",
    "Segment",
    "RFMScheme",
    "SchemeError",
    "scheme_title",
    "list_schemes",
    "load_scheme",
    "assign_segments",
]

_SCORES = "12345"
ALL_CELLS: tuple[str, ...] = tuple("".join(c) for c in itertools.product(_SCORES, repeat=3))
_ALL_SPLITS: tuple[str, ...] = tuple("".join(c) for c in itertools.product("HL", repeat=3))
_KINDS = ("cells", "mean_split")
_BUILT_IN = ("seed4", "cn8", "std11")
_SUFFIXES = (".toml", ".yaml", ".yml")
_KEY_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
_ANY = frozenset("xX*?")
_SCORE_COLUMNS = ("r_score", "f_score", "m_score")

_TOP_KEYS = ("name", "kind", "description", "note_en", "note_zh", "segments")
_SEGMENT_KEYS = ("key", "label_en", "label_zh", "description_en", "description_zh")
_KIND_KEYS = {"cells": ("cells", "ranges"), "mean_split": ("split",)}


@dataclass(frozen=True)
class Segment:
    """One segment of a scheme: a stable ASCII key and its labels in English and Chinese."""

    key: str
    label_en: str
    label_zh: str
    description_en: str = ""
    description_zh: str = ""

    def label(self, lang: str) -> str:
        """The label in ``lang``: ``"en"`` or ``"zh"`` (regional forms such as ``"zh-CN"`` too).

        >>> Segment("lost", "Lost", "已流失客户").label("zh_CN")
        '已流失客户'
        """
        return self.label_zh if _language(lang) == "zh" else self.label_en


def _language(lang: str) -> str:
    base = str(lang).strip().lower().replace("_", "-").split("-")[0]
    if base not in ("en", "zh"):
        raise ValueError(f"unknown language {lang!r}: use 'en' or 'zh'")
    return base


@dataclass(frozen=True)
class RFMScheme:
    """A segment scheme: the segments in display order and how cells map onto them.

    For ``kind == "cells"``, ``cell_map`` maps each of the 125 cells ``"111"``…``"555"`` to a
    segment key. For ``kind == "mean_split"``, ``split_map`` maps each high/low combination
    ``"HHH"``…``"LLL"`` (R, F, M) to a segment key and ``cell_map`` is empty, because the
    segment depends on the mean scores of the table being segmented.
    """

    name: str
    kind: str
    segments: tuple[Segment, ...]
    cell_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    split_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""
    note_en: str = ""
    note_zh: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """The segment keys in display order."""
        return tuple(s.key for s in self.segments)

    def note(self, lang: str) -> str:
        """The scheme's note in ``lang`` (empty when it has none): what its segment names mean.

        >>> "R low, F low, M high" in load_scheme("cn8").note("en")
        True
        """
        return self.note_zh if _language(lang) == "zh" else self.note_en

    def segment(self, key: str) -> Segment:
        """The segment with this key."""
        for s in self.segments:
            if s.key == key:
                return s
        raise KeyError(f"scheme {self.name!r} has no segment {key!r}; "
                       f"its segments are {', '.join(self.keys)}")


class SchemeError(CvmError, ValueError):
    """A scheme that cannot be loaded: unreadable, malformed, or not covering every cell exactly
    once. ``gaps`` holds the cells (or high/low combinations) with no segment and ``overlaps``
    maps each cell claimed more than once to the keys of the segments claiming it."""

    def __init__(self, message: str, *, gaps: Iterable[str] = (),
                 overlaps: Mapping[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(message)
        self.gaps: tuple[str, ...] = tuple(gaps)
        self.overlaps: dict[str, tuple[str, ...]] = dict(overlaps or {})


# ---------------------------------------------------------------------------------------------
# Patterns


def _expand_positions(pattern: str, alphabet: str) -> list[str]:
    """The characters each position of ``pattern`` allows; ``ValueError`` says what is wrong."""
    positions: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in alphabet:
            positions.append(ch)
            i += 1
        elif ch in _ANY:
            positions.append(alphabet)
            i += 1
        elif ch == "[":
            end = pattern.find("]", i)
            if end < 0:
                raise ValueError("'[' without a closing ']'")
            positions.append(_expand_set(pattern[i + 1:end], alphabet))
            i = end + 1
        else:
            raise ValueError(f"unexpected character {ch!r}")
    if len(positions) != 3:
        raise ValueError(f"has {len(positions)} positions, not 3 (R, F, M)")
    return positions


def _expand_set(body: str, alphabet: str) -> str:
    if not body:
        raise ValueError("empty '[]'")
    chosen: set[str] = set()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch not in alphabet:
            raise ValueError(f"{ch!r} inside [...] is not one of {', '.join(alphabet)}")
        if i + 2 < len(body) and body[i + 1] == "-":
            hi = body[i + 2]
            if hi not in alphabet or hi < ch:
                raise ValueError(f"bad range {ch}-{hi} inside [...]")
            chosen.update(c for c in alphabet if ch <= c <= hi)
            i += 3
        else:
            chosen.add(ch)
            i += 1
    return "".join(c for c in alphabet if c in chosen)


def _expand_cells(pattern: object) -> list[str]:
    """The cells a cell pattern matches, in order."""
    if isinstance(pattern, int) and not isinstance(pattern, bool):
        pattern = str(pattern)
    if not isinstance(pattern, str):
        raise ValueError("must be text such as \"5[45]x\"")
    return ["".join(c) for c in itertools.product(*_expand_positions(pattern.strip(), _SCORES))]


def _range_pattern(entry: object) -> str:
    """The cell pattern of one ``ranges`` entry such as ``{r = "4-5", f = 3}``."""
    if not isinstance(entry, Mapping):
        raise ValueError("must be a table such as {r = \"4-5\", f = \"1-2\"}")
    unknown = sorted(str(k) for k in entry if k not in ("r", "f", "m"))
    if unknown:
        raise ValueError(f"unknown letter {', '.join(unknown)} (use r, f, m)")
    parts = []
    for letter in "rfm":
        value = entry.get(letter)
        if value is None:
            parts.append("x")
            continue
        text = str(value).strip() if not isinstance(value, bool) else "?"
        match = re.fullmatch(r"([1-5])(?:\s*-\s*([1-5]))?", text)
        if match is None or (match[2] is not None and match[2] < match[1]):
            raise ValueError(f"{letter} = {value!r} is not a score 1-5 or a range such as \"3-5\"")
        parts.append(f"[{match[1]}-{match[2] or match[1]}]")
    return "".join(parts)


def _expand_splits(pattern: object) -> list[str]:
    if not isinstance(pattern, str):
        raise ValueError("must be text such as \"HHL\"")
    positions = _expand_positions(pattern.strip().upper().replace("X", "x"), "HL")
    return ["".join(c) for c in itertools.product(*positions)]


# ---------------------------------------------------------------------------------------------
# Building a scheme from parsed data


def _listing(items: Iterable[str]) -> str:
    return ", ".join(items)


def _coverage_error(where: str, universe: tuple[str, ...], claims: dict[str, list[str]],
                    noun: str) -> SchemeError | None:
    """A ``SchemeError`` naming every gap and overlap, or ``None`` when each item has one owner."""
    gaps = [item for item in universe if not claims.get(item)]
    overlaps = {item: tuple(claims[item]) for item in universe if len(claims.get(item, ())) > 1}
    if not gaps and not overlaps:
        return None
    lines = [f"{where}: every {noun} must belong to exactly one segment"]
    if gaps:
        lines.append(f"  {len(gaps)} {noun}s with no segment: {_listing(gaps)}")
    if overlaps:
        by_owners: dict[tuple[str, ...], list[str]] = {}
        for item, owners in overlaps.items():
            by_owners.setdefault(owners, []).append(item)
        lines.append(f"  {len(overlaps)} {noun}s claimed by more than one segment:")
        lines += [f"    {_listing(items)} (claimed by {_listing(owners)})"
                  for owners, items in by_owners.items()]
    return SchemeError("\n".join(lines), gaps=gaps, overlaps=overlaps)


def _text(entry: Mapping[str, Any], name: str, where: str, problems: list[str],
          required: bool) -> str:
    value = entry.get(name)
    if value is None:
        if required:
            problems.append(f"{where}: missing {name}")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}: {name} must be non-empty text, not {value!r}")
        return ""
    return value.strip()


def _as_list(entry: Mapping[str, Any], name: str, where: str, problems: list[str],
             allow_text: bool = False) -> list[Any]:
    value = entry.get(name)
    if value is None:
        return []
    if allow_text and isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        problems.append(f"{where}: {name} must be a list")
        return []
    return value


def _parse_segment(entry: object, index: int, kind: str, problems: list[str]
                   ) -> tuple[Segment | None, list[str]]:
    """One segment and the cells (or splits) it claims; problems are appended, not raised."""
    where = f"segment {index}"
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: must be a table with key, label_en, label_zh, ...")
        return None, []
    key = entry.get("key")
    if isinstance(key, str) and _KEY_RE.match(key):
        where = f"segment {index} ({key})"
    else:
        problems.append(f"{where}: key must be lower-case ASCII letters, digits and '_', "
                        f"starting with a letter; got {key!r}")
        key = None
    allowed = _SEGMENT_KEYS + _KIND_KEYS[kind]
    unknown = [str(k) for k in entry if k not in allowed]
    if unknown:
        problems.append(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                        f"{_listing(unknown)} (a {kind} segment takes {_listing(allowed)})")
    texts = {name: _text(entry, name, where, problems, required=name.startswith("label"))
             for name in _SEGMENT_KEYS[1:]}
    claimed: list[str] = []
    if kind == "cells":
        patterns = [(p, p) for p in _as_list(entry, "cells", where, problems)]
        for i, item in enumerate(_as_list(entry, "ranges", where, problems)):
            try:
                patterns.append((item, _range_pattern(item)))
            except ValueError as exc:
                problems.append(f"{where}: ranges entry {i + 1} {exc}")
        if "cells" not in entry and "ranges" not in entry:
            problems.append(f"{where}: needs cells or ranges")
        for shown, pattern in patterns:
            try:
                claimed += _expand_cells(pattern)
            except ValueError as exc:
                problems.append(f"{where}: bad cell pattern {shown!r}: {exc}")
    else:
        if "split" not in entry:
            problems.append(f"{where}: needs split, e.g. split = \"HHL\" (R, F, M high or low)")
        for pattern in _as_list(entry, "split", where, problems, allow_text=True):
            try:
                claimed += _expand_splits(pattern)
            except ValueError as exc:
                problems.append(f"{where}: bad split {pattern!r}: {exc} "
                                "(use H, L or x for each of R, F, M)")
    if key is None:
        return None, claimed
    return Segment(key, **texts), sorted(set(claimed))


def _build_scheme(data: object, source: str, default_name: str) -> RFMScheme:
    """Check parsed scheme data and build the scheme; every problem found goes in one error."""
    if not isinstance(data, Mapping):
        raise SchemeError(f"{source}: must be a table (mapping) with name, kind and segments")
    problems: list[str] = []
    unknown = [str(k) for k in data if k not in _TOP_KEYS]
    if unknown:
        problems.append(f"unknown top-level key{'s' if len(unknown) > 1 else ''} "
                        f"{_listing(unknown)} (allowed: {_listing(_TOP_KEYS)})")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name must be non-empty text, not {name!r}")
        name = default_name
    kind = data.get("kind", "cells")
    if kind not in _KINDS:
        raise SchemeError(f"{source}: kind must be one of {_listing(_KINDS)}, not {kind!r}")
    description = _text(data, "description", "scheme", problems, required=False)
    notes = {k: _text(data, k, "scheme", problems, required=False) for k in ("note_en", "note_zh")}
    if bool(notes["note_en"]) != bool(notes["note_zh"]):
        problems.append("give both note_en and note_zh, or neither")
    entries = data.get("segments")
    if not isinstance(entries, list) or not entries:
        problems.append("segments must be a non-empty list of segment tables")
        entries = []

    segments: list[Segment] = []
    claims: dict[str, list[str]] = {}
    for index, entry in enumerate(entries, start=1):
        segment, claimed = _parse_segment(entry, index, kind, problems)
        if segment is None:
            continue
        if segment.key in {s.key for s in segments}:
            problems.append(f"segment {index}: duplicate key {segment.key!r}")
            continue
        segments.append(segment)
        for item in claimed:
            claims.setdefault(item, []).append(segment.key)
    if problems:
        raise SchemeError(f"{source}: invalid scheme\n" + "\n".join(f"  {p}" for p in problems))

    universe, noun = (ALL_CELLS, "cell") if kind == "cells" else (_ALL_SPLITS, "combination")
    error = _coverage_error(source, universe, claims, noun)
    if error is not None:
        raise error
    owner = MappingProxyType({item: claims[item][0] for item in universe})
    return RFMScheme(
        name=name.strip(), kind=kind, segments=tuple(segments),
        cell_map=owner if kind == "cells" else MappingProxyType({}),
        split_map=owner if kind == "mean_split" else MappingProxyType({}),
        description=description, **notes,
    )


# ---------------------------------------------------------------------------------------------
# Loading


def list_schemes() -> list[str]:
    """The names of the built-in schemes.

    >>> list_schemes()
    ['seed4', 'cn8', 'std11']
    """
    return list(_BUILT_IN)


def _parse_text(text: str, suffix: str, source: str) -> object:
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        return yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise SchemeError(f"{source}: not valid {'TOML' if suffix == '.toml' else 'YAML'}: "
                          f"{exc}") from exc


@functools.lru_cache(maxsize=None)
def _load_built_in(name: str) -> RFMScheme:
    source = f"built-in scheme {name}"
    text = (resources.files("cvm.features") / "schemes" / f"{name}.toml").read_text("utf-8")
    return _build_scheme(_parse_text(text, ".toml", source), source, name)


def load_scheme(name_or_path: str | Path) -> RFMScheme:
    """A built-in scheme by name (:func:`list_schemes`) or a scheme from a TOML or YAML file.

    >>> load_scheme("seed4").cell_map["153"]
    'important_retain'

    Raises :class:`SchemeError` naming the file when it cannot be read or parsed, when it is
    malformed, or when its segments do not cover every cell exactly once.
    """
    if isinstance(name_or_path, str) and name_or_path in _BUILT_IN:
        return _load_built_in(name_or_path)
    path = Path(name_or_path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise SchemeError(f"unknown scheme {str(name_or_path)!r}: not a built-in scheme "
                          f"({_listing(_BUILT_IN)}) and not a file ending in "
                          f"{_listing(_SUFFIXES)}")
    source = f"scheme file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SchemeError(f"{source}: cannot read: {reason}") from exc
    return _build_scheme(_parse_text(text, suffix, source), source, path.stem)


# ---------------------------------------------------------------------------------------------
# Assigning segments


def _require_columns(table: ir.Table, names: tuple[str, ...], check, what: str) -> None:
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise ValueError(f"assign_segments needs column{'s' if len(missing) > 1 else ''} "
                         f"{_listing(missing)}; the table has {_listing(table.columns)}")
    wrong = [f"{n} ({table[n].type()})" for n in names if not check(table[n].type())]
    if wrong:
        raise ValueError(f"assign_segments needs {what} columns: {_listing(wrong)}"
                         if len(wrong) > 1 else
                         f"assign_segments needs a {what} column: {_listing(wrong)}")


def _owners(mapping: Mapping[str, str], scheme: RFMScheme) -> list[tuple[str, list[str]]]:
    """(segment key, the items it owns) in display order, skipping segments owning nothing."""
    grouped = {key: [item for item, owner in mapping.items() if owner == key]
               for key in scheme.keys}
    return [(key, items) for key, items in grouped.items() if items]


def assign_segments(scored: ir.Table, scheme: RFMScheme) -> ir.Table:
    """``scored`` with a string column ``rfm_segment``: the key of each row's segment.

    For a ``cells`` scheme the segment comes from ``rfm_cell``; for ``mean_split`` (cn8) from
    ``r_score``, ``f_score`` and ``m_score`` against their means over the whole table (a score is
    high when strictly above the mean; nulls are left out of the mean). Rows with a missing or
    out-of-range cell or score get a null segment. The result is one Ibis expression — no UDFs,
    no data pulled into Python — so it runs unchanged on DuckDB and Spark. An existing
    ``rfm_segment`` column is replaced; ``scored`` itself is not changed.
    """
    if scheme.kind == "cells":
        _require_columns(scored, ("rfm_cell",), lambda t: t.is_string(), "string")
        cell = scored.rfm_cell
        branches = [(cell.isin(cells), key) for key, cells in _owners(scheme.cell_map, scheme)]
        return scored.mutate(rfm_segment=ibis.cases(*branches, else_=ibis.null("string")))
    if scheme.kind != "mean_split":
        raise ValueError(f"scheme {scheme.name!r} has unknown kind {scheme.kind!r}")

    _require_columns(scored, _SCORE_COLUMNS, lambda t: t.is_numeric(), "numeric")
    # Compare score × count with the sum rather than score with the mean: exact in integers, so a
    # score equal to the mean is never nudged above or below it by floating-point rounding.
    prefix = "_cvm_rfm_mean_split_"
    stats = scored.aggregate(**{
        f"{prefix}{c}_{agg}": getattr(scored[c], agg)()
        for c in _SCORE_COLUMNS for agg in ("count", "sum")
    })
    joined = scored.cross_join(stats)
    levels = []
    for c in _SCORE_COLUMNS:
        high = joined[c] * joined[f"{prefix}{c}_count"] > joined[f"{prefix}{c}_sum"]
        levels.append(ibis.cases((high, "H"), (~high, "L")))  # null score -> null level
    split = levels[0].concat(levels[1], levels[2])
    branches = [(split.isin(splits), key) for key, splits in _owners(scheme.split_map, scheme)]
    segment = ibis.cases(*branches, else_=ibis.null("string"))
    return joined.mutate(rfm_segment=segment).drop(*stats.columns)


_TITLES = {
    "std11": ("RFM eleven-segment map", "RFM 十一类客户细分"),
    "seed4": ("RFM four classes", "RFM 四类客户"),
    "cn8": ("RFM eight classes", "RFM 八类客户"),
}


def scheme_title(scheme: RFMScheme, lang: str = "en") -> str:
    """A short title for reports: the built-in schemes' names in words, else the scheme's name.

    >>> scheme_title(load_scheme("cn8"), "zh")
    'RFM 八类客户'
    """
    en, zh = _TITLES.get(scheme.name, (scheme.name, scheme.name))
    return zh if _language(lang) == "zh" else en
