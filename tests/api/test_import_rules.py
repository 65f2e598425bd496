"""The API serves figures the core computes: nothing under ``cvm/api`` imports an Ibis backend
or ``cvm.models`` (imports inside functions count, and so does ``ibis.duckdb.…`` reached through
``import ibis``)."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import ibis.backends

API = Path(__file__).resolve().parents[2] / "src" / "cvm" / "api"
BACKENDS = {m.name for m in pkgutil.iter_modules(ibis.backends.__path__) if m.ispkg}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[:len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def forbidden_imports(source: str, package: str = "cvm.api") -> list[str]:
    """The imports of ``cvm.models`` and of Ibis backends in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            names = [module] + [f"{module}.{a.name}" for a in node.names]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "ibis" and node.attr in BACKENDS):
            names = [f"ibis.{node.attr}"]
        found += [name for name in names if _forbidden(name.split("."))]
    return sorted(set(found))


def _forbidden(parts: list[str]) -> bool:
    if parts[:2] == ["cvm", "models"]:
        return True
    if parts[0] != "ibis" or len(parts) < 2:
        return False
    return parts[1] in BACKENDS or (parts[1] == "backends" and len(parts) > 2
                                    and parts[2] in BACKENDS)


def test_the_api_imports_no_backend_and_no_model():
    assert BACKENDS >= {"duckdb", "pyspark"}
    found = {path.name: forbidden_imports(path.read_text(encoding="utf-8"))
             for path in sorted(API.rglob("*.py"))}
    assert {name: imports for name, imports in found.items() if imports} == {}


def test_the_check_sees_imports_inside_functions():
    source = ("import ibis\n"
              "def f():\n"
              "    import ibis.duckdb\n"
              "    from ..models.validation import validate_holdout\n"
              "    from .. import models\n"
              "    return ibis.pyspark.connect()\n")
    assert forbidden_imports(source) == ["cvm.models", "cvm.models.validation",
                                         "cvm.models.validation.validate_holdout",
                                         "ibis.duckdb", "ibis.pyspark"]
    assert forbidden_imports("from ibis.backends.duckdb import Backend\n") == \
        ["ibis.backends.duckdb", "ibis.backends.duckdb.Backend"]
    assert forbidden_imports("import ibis\nimport ibis.expr.types as ir\nfrom .reader import x\n"
                             "from ..insights import overview\n") == []
