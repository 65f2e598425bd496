"""The import graph of ``cvm``, read from the source (every import counts, also one inside a
function; only ``if TYPE_CHECKING:`` blocks, which never run, are left out)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted((SRC / "cvm").rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import statement of a module, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The cvm modules an import statement loads (a name imported from a package counts as its
    submodule when there is one; otherwise the package itself)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if not base.startswith("cvm"):
        return set()
    found = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES}


def import_graph() -> dict[str, set[str]]:
    """Module → the cvm modules it imports."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = set().union(*(_targets(module, n) for n in _imports(tree))) - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0

    def visit(v):
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = import_graph()


def test_the_graph_reader_sees_lazy_and_relative_imports():
    # relative, at the top: the workspace imports the engine's thread setting
    assert "cvm.engine" in GRAPH["cvm.workspace"]
    # inside a function: config checks an AHP matrix with features.weights
    assert "cvm.features.weights" in GRAPH["cvm.config"]
    # a submodule imported from its package: "from cvm.reports import charts"
    assert "cvm.reports.charts" in GRAPH["cvm.reports.rfm"]
    # TYPE_CHECKING-only imports are not edges: wording names the stored results only for types
    assert "cvm.insights.stored" not in GRAPH["cvm.insights.wording"]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_error_module_imports_nothing_from_cvm():
    assert GRAPH["cvm.errors"] == set()


def test_the_report_sections_contract_imports_nothing_else_from_cvm():
    assert GRAPH["cvm.reports.sections"] == set()


@pytest.mark.parametrize("scope", ["cvm.reports", "cvm.config", "cvm.features.weights",
                                   "cvm.errors"])
def test_no_import_cycle_through(scope):
    through = [c for c in cycles(GRAPH)
               if any(m == scope or m.startswith(scope + ".") for m in c)]
    assert through == []
