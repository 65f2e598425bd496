"""Text folding shared by the normalisers, and applying a normaliser once per distinct value.

Customer lists repeat values a lot (cities, common names, family phones), so every normaliser
runs once per distinct value and the results are mapped back to the rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["fold", "strip_accents", "map_distinct"]

T = TypeVar("T")


def fold(text: str | None) -> str | None:
    """Full-width → half-width (NFKC), trimmed, inner whitespace collapsed; empty → ``None``.

    >>> fold("  Ｚｈａｎｇ　 Ｗｅｉ ")
    'Zhang Wei'
    >>> fold("   ") is None
    True
    """
    if text is None:
        return None
    folded = " ".join(unicodedata.normalize("NFKC", str(text)).split())
    return folded or None


def strip_accents(text: str) -> str:
    """Latin letters without diacritics (``Lü`` → ``Lu``, ``José`` → ``Jose``).

    >>> strip_accents("Lǚ Zhìqiáng")
    'Lu Zhiqiang'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def map_distinct(values: Iterable[Any] | pa.Array | pa.ChunkedArray,
                 func: Callable[[Any], T]) -> list[T]:
    """``[func(v) for v in values]``, calling ``func`` once per distinct non-null value
    (``None`` maps to ``func(None)``, also computed once)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        array = values
    else:
        array = pa.array(list(values), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], array.type)
    if len(array) == 0:
        return []
    encoded = pc.dictionary_encode(array)
    distinct = [func(v) for v in encoded.dictionary.to_pylist()]
    null_result = func(None)
    indices = encoded.indices.to_pylist()
    return [null_result if i is None else distinct[i] for i in indices]
