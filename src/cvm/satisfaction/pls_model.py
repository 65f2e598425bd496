"""The structural model a PLS path model estimates: constructs, their indicators, and paths.

A model file is TOML::

    [constructs.Image]
    indicators = ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"]
    mode = "A"            # A: reflective (correlation weights), B: formative (regression weights)

    [constructs.Satisfaction]
    indicators = ["CUSA1", "CUSA2", "CUSA3"]

    [[paths]]
    from = "Image"
    to = ["Satisfaction"]  # one name or a list

``mode`` defaults to ``"A"``. The paths must form a recursive (acyclic) model and every
construct must take part in at least one path. The built-in template ``ecsi`` is the European
Customer Satisfaction Index model of Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005),
*Computational Statistics & Data Analysis* 48, fig. 8: seven constructs and twelve paths, with
the indicator names of the mobile-phone ECSI survey (``mobi``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["Construct", "StructuralModel", "ModelFileError", "load_model", "TEMPLATES",
           "CONSTRUCT_LABELS", "construct_label"]


class ModelFileError(ConfigError):
    """A structural model file or template is wrong; the message says what and where."""


@dataclass(frozen=True)
class Construct:
    """A latent variable: its name, its indicators (columns of the survey) and its mode."""

    name: str
    indicators: tuple[str, ...]
    mode: str = "A"


@dataclass(frozen=True)
class StructuralModel:
    """Constructs in a causal order (every path goes from an earlier to a later construct) and
    the paths ``(from, to)`` between them."""

    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.constructs]

    @property
    def indicators(self) -> list[str]:
        return [i for c in self.constructs for i in c.indicators]

    @classmethod
    def from_dict(cls, spec: dict, source: str = "the model") -> "StructuralModel":
        """Build and check a model from the parsed TOML (see the module docstring)."""
        table = spec.get("constructs")
        if not isinstance(table, dict) or not table:
            raise ModelFileError(f"{source} has no [constructs.NAME] tables; each construct "
                                 "needs indicators = [\"COLUMN\", ...]")
        constructs = []
        seen: dict[str, str] = {}
        for name, body in table.items():
            items = body.get("indicators") if isinstance(body, dict) else None
            if isinstance(items, str):
                items = [items]
            if not items or not all(isinstance(i, str) for i in items):
                raise ModelFileError(f"construct {name!r} in {source} needs indicators = "
                                     "[\"COLUMN\", ...] (a list of column names)")
            mode = str(body.get("mode", "A")).upper()
            if mode not in ("A", "B"):
                raise ModelFileError(f"construct {name!r} in {source} has mode {mode!r}; use "
                                     "\"A\" (reflective) or \"B\" (formative)")
            for item in items:
                if item in seen:
                    raise ModelFileError(f"indicator {item!r} is in both {seen[item]!r} and "
                                         f"{name!r} in {source}; each column measures one "
                                         "construct")
                seen[item] = name
            constructs.append(Construct(name, tuple(items), mode))
        paths = []
        for entry in spec.get("paths", []):
            start, ends = entry.get("from"), entry.get("to")
            ends = [ends] if isinstance(ends, str) else ends
            if not isinstance(start, str) or not ends:
                raise ModelFileError(f"each [[paths]] entry in {source} needs from = \"NAME\" "
                                     "and to = [\"NAME\", ...]")
            for end in ends:
                paths.append((start, end))
        return cls.ordered(constructs, paths, source)

    @classmethod
    def ordered(cls, constructs: list[Construct], paths: list[tuple[str, str]],
                source: str = "the model") -> "StructuralModel":
        """Check names, duplicates and cycles, and put the constructs in a causal order
        (a topological sort, Kahn 1962, keeping the given order among equals)."""
        names = [c.name for c in constructs]
        if not paths:
            raise ModelFileError(f"{source} has no paths; add [[paths]] from = ... to = ...")
        for a, b in paths:
            for n in (a, b):
                if n not in names:
                    raise ModelFileError(f"path {a} -> {b} in {source} names {n!r}, which is "
                                         f"not a construct (constructs: {', '.join(names)})")
            if a == b:
                raise ModelFileError(f"path {a} -> {b} in {source} points at itself")
        if len(set(paths)) != len(paths):
            raise ModelFileError(f"{source} lists a path twice")
        linked = {n for p in paths for n in p}
        lonely = [n for n in names if n not in linked]
        if lonely:
            raise ModelFileError(f"construct(s) {', '.join(lonely)} in {source} take part in "
                                 "no path; connect or remove them")
        order: list[str] = []
        left = list(names)
        while left:
            ready = [n for n in left
                     if all(a in order for a, b in paths if b == n)]
            if not ready:
                raise ModelFileError(f"the paths of {source} form a cycle among "
                                     f"{', '.join(left)}; PLS path models here are recursive")
            order.append(ready[0])
            left.remove(ready[0])
        by_name = {c.name: c for c in constructs}
        return cls(tuple(by_name[n] for n in order), tuple(paths))


ECSI_TOML = """
# European Customer Satisfaction Index (Tenenhaus et al. 2005, fig. 8), mobi indicator names
[constructs.Image]
indicators = ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"]
mode = "A"

[constructs.Expectation]
indicators = ["CUEX1", "CUEX2", "CUEX3"]
mode = "A"

[constructs.Quality]
indicators = ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"]
mode = "A"

[constructs.Value]
indicators = ["PERV1", "PERV2"]
mode = "A"

[constructs.Satisfaction]
indicators = ["CUSA1", "CUSA2", "CUSA3"]
mode = "A"

[constructs.Complaints]
indicators = ["CUSCO"]
mode = "A"

[constructs.Loyalty]
indicators = ["CUSL1", "CUSL2", "CUSL3"]
mode = "A"

[[paths]]
from = "Image"
to = ["Expectation", "Satisfaction", "Loyalty"]

[[paths]]
from = "Expectation"
to = ["Quality", "Value", "Satisfaction"]

[[paths]]
from = "Quality"
to = ["Value", "Satisfaction"]

[[paths]]
from = "Value"
to = ["Satisfaction"]

[[paths]]
from = "Satisfaction"
to = ["Complaints", "Loyalty"]

[[paths]]
from = "Complaints"
to = ["Loyalty"]
"""

#: built-in model templates by name (``--model ecsi``), each a TOML model file's text
TEMPLATES = {"ecsi": ECSI_TOML}


def load_model(model: "str | Path | StructuralModel") -> StructuralModel:
    """A :class:`StructuralModel` from a template name (``"ecsi"``), a TOML file path, or a
    model (returned as is)."""
    if isinstance(model, StructuralModel):
        return model
    text = TEMPLATES.get(str(model).lower())
    source = f"template {model!r}"
    if text is None:
        path = Path(model)
        if not path.is_file():
            raise ModelFileError(f"model {str(model)!r} is neither a template "
                                 f"({', '.join(TEMPLATES)}) nor a TOML file that exists")
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError(f"{source} is not valid TOML: {exc}") from None
    return StructuralModel.from_dict(spec, source)


#: the ECSI/ACSI constructs in English and Simplified Chinese (the customer satisfaction index
#: terms of the Chinese CSI literature); other construct names are shown as written
CONSTRUCT_LABELS: dict[str, tuple[str, str]] = {
    "Image": ("Image", "企业形象"),
    "Expectation": ("Expectation", "顾客期望"),
    "Quality": ("Quality", "感知质量"),
    "Value": ("Value", "感知价值"),
    "Satisfaction": ("Satisfaction", "顾客满意"),
    "Complaints": ("Complaints", "顾客抱怨"),
    "Loyalty": ("Loyalty", "顾客忠诚"),
}


def construct_label(name: str, lang: str = "en") -> str:
    """A construct's name in ``lang`` ("en" or "zh"); a name not in the ECSI set is returned as is.

    >>> construct_label("Satisfaction", "zh"), construct_label("Quality")
    ('顾客满意', 'Quality')
    >>> construct_label("Price", "zh")
    'Price'
    """
    words = CONSTRUCT_LABELS.get(name)
    return name if words is None else words[lang == "zh"]
