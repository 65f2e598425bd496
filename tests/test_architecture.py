"""The layout's rules, checked on the source: the import graph of every module under
``src/cvm`` is read with :mod:`ast` (imports inside functions count, as they run too; only
``if TYPE_CHECKING:`` blocks, which never run, are left out). The package has no import cycle,
which also keeps the error root and the report sections contract free of cvm imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cvm"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve(name: str) -> str | None:
    """The cvm module ``name`` refers to: itself, or the module that defines it."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _run_time_nodes(tree: ast.AST):
    """Every node, except the bodies of ``if TYPE_CHECKING:`` (imports for annotations only,
    never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def imports(module: str) -> set[str]:
    """The cvm modules ``module`` imports at run time, anywhere in its body (inside functions
    too)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if _is_package(module) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _run_time_nodes(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("cvm") else None
            if target and target != module:
                found.add(target)
    # a module takes names from its own packages (``from . import __version__``): not a cycle
    return {t for t in found if not module.startswith(t + ".")}


GRAPH = {m: imports(m) for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_graph_sees_imports_inside_functions():
    # cvm.stages.clv imports the engine and identity inside validate_workspace only; the stage
    # contract names the engine and the workspace for annotations only
    assert {"cvm.engine", "cvm.identity"} <= GRAPH["cvm.stages.clv"]
    assert not GRAPH["cvm.stages.contract"] & {"cvm.engine", "cvm.workspace"}


def test_models_are_estimators_only():
    wrong = {m: sorted(t for t in GRAPH[m]
                       if _under(t, "cvm.pipeline", "cvm.stages", "cvm.segments", "cvm.api"))
             for m in MODULES if _under(m, "cvm.models")}
    assert {m: t for m, t in wrong.items() if t} == {}


def test_segments_hold_no_stage_glue():
    assert not [m for m in MODULES if _under(m, "cvm.segments")
                and GRAPH[m] & {"cvm.pipeline", "cvm.stages"}]


def test_the_stage_contract_imports_no_stage():
    assert not [t for t in GRAPH["cvm.stages.contract"] if _under(t, "cvm.stages")]


def test_only_the_engine_module_compares_engine_names():
    found = []
    for module, path in MODULES.items():
        if module == "cvm.engine":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                literals = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
                if {"duckdb", "spark"} & set(literals):
                    found.append(f"{module}:{node.lineno}")
    assert found == []


def test_no_cycles_among_the_pipeline_stages_models_segments_and_features():
    core = ("cvm.pipeline", "cvm.stages", "cvm.models", "cvm.segments", "cvm.features")
    tangled = [c for c in cycles(GRAPH) if sum(_under(m, *core) for m in c) > 1]
    assert tangled == []


def test_no_import_cycle_in_the_package():
    assert cycles(GRAPH) == []


def test_the_graph_reader_sees_lazy_and_relative_imports():
    # relative, at the top: the workspace imports the engine's thread setting
    assert "cvm.engine" in GRAPH["cvm.workspace"]
    # inside a function: config checks an AHP matrix with features.weights
    assert "cvm.features.weights" in GRAPH["cvm.config"]
    # a submodule imported from its package: "from cvm.reports import charts"
    assert "cvm.reports.charts" in GRAPH["cvm.reports.rfm"]
    # TYPE_CHECKING-only imports are not edges: wording names the stored results only for types
    assert "cvm.insights.stored" not in GRAPH["cvm.insights.wording"]


def test_the_cycle_finder_finds_a_cycle_and_nothing_else():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_error_module_and_the_report_sections_contract_import_nothing_from_cvm():
    assert GRAPH["cvm.errors"] == set()
    assert GRAPH["cvm.reports.sections"] == set()


#: the calls that run an expression and bring its rows to this process
_FETCHES = {"to_pyarrow", "to_pyarrow_batches", "toPandas", "toArrow", "collect", "execute",
            "toLocalIterator", "take", "head"}
#: the modules allowed to run expressions themselves, and why: every other module fetches through
#: :meth:`cvm.engine.Engine.to_arrow`, which counts the rows per customer that come here and on
#: Spark sends them through files instead of the driver
_FETCHING_MODULES = {
    "cvm.features.summary": "a one-value aggregate: whether any transaction has a margin",
    "cvm.ingest.readers": "a user's own Ibis or Polars table read as a source to load",
    "cvm.spark.sources": "counts of the rows Spark's own reading rejected, by reason",
}


def _fetching_calls(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _FETCHES):
            continue
        receiver = ast.unparse(node.func.value)
        # a schema's Arrow form, a pyarrow object's own take, SQL run on the workspace's DuckDB
        # connection (``con.execute(sql)``, the local tables of records): no expression runs
        if "schema" in receiver or node.func.attr in ("take", "head") and node.args \
                and not isinstance(node.args[0], ast.Constant) \
                or node.func.attr == "execute" and node.args:
            continue
        lines.append(node.lineno)
    return lines


def test_only_the_engine_layer_runs_expressions_to_rows_here():
    found = {}
    for module, path in MODULES.items():
        if module == "cvm.engine" or _under(module, "cvm.spark"):
            continue
        lines = _fetching_calls(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[module] = lines
    assert set(found) <= set(_FETCHING_MODULES), {m: found[m] for m in found
                                                  if m not in _FETCHING_MODULES}


def test_the_fetch_finder_sees_a_collect_and_not_a_schema():
    tree = ast.parse("rows = expr.to_pyarrow()\nframe = df.toPandas()\n"
                     "kinds = expr.schema().to_pyarrow()\nfirst = arr.take(idx)\n"
                     "con.execute('SELECT 1')\nvalue = expr.execute()\n")
    assert sorted(_fetching_calls(tree)) == [1, 2, 6]
