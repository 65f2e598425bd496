"""Mutation check: do the tests of a module fail when the module is wrong?

    python scripts/mutate.py src/cvm/features/rfm.py tests/features/test_rfm.py [more tests]
        [--engine duckdb|spark|both] [--jobs N] [--json out.json] [--only LINE[,LINE…]]

The module is parsed with ``ast`` and small faults are made in it, one at a time (a *mutant*):

- comparisons ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``is`` ↔ ``is not``, ``in`` ↔ ``not in``
- arithmetic ``+`` ↔ ``-``, ``*`` ↔ ``/``, ``//`` → ``/``; ``&`` ↔ ``|`` (Ibis's and / or)
- numbers ``c`` → ``c + 1``, and ``1`` → ``0``; ``True`` ↔ ``False``
- ``min`` ↔ ``max`` (also ``.min()`` / ``.max()``, ``least`` / ``greatest``, ``minimum`` / ``maximum``)
- ``and`` ↔ ``or``; ``not x`` → ``x``, ``~x`` → ``x``, ``-x`` → ``x``
- ``if c`` → ``if not c`` (also ``a if c else b``)
- ``return x`` → ``return None``
- with ``--strings``: string constants outside docstrings get a ``"~"`` appended

Each mutant is written into a private copy of the source tree (``--src``, default ``src``; the
worktree itself is never edited), the given tests run against it (``pytest -x -q -p
no:cacheprovider``, ``PYTHONPATH`` pointing at the copy) and the mutant is *caught* when they
fail, *survived* when they pass, and *timeout* (counted as caught, listed apart) when they run
longer than a few times the unmutated run.

Score = caught / (mutants − equivalent). Equivalent mutants (no test can tell them apart from
the original) are listed in ``tests/mutation_equivalents.toml``::

    [[equivalent]]
    module = "src/cvm/features/rfm.py"
    line = 42
    mutation = "<= → <"
    reason = "why no input can tell the two apart"

They are still run: one that is caught is reported (the entry is wrong) and counted as caught.
An entry that matches no mutant is reported as stale.

``--engine``: tests parametrised by engine (ids ``[duckdb]`` / ``[spark]``) run on DuckDB only
(default), on Spark only, or on both; tests without an engine parameter always run. Spark starts
a JVM per test run: use ``--jobs 1`` there.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

_COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                  ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
                  ast.In: ast.NotIn, ast.NotIn: ast.In}
_BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
                ast.FloorDiv: ast.Div, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
_OP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
            ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
            ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.BitAnd: "&",
            ast.BitOr: "|", ast.And: "and", ast.Or: "or"}
_NAME_SWAPS = {"min": "max", "max": "min", "least": "greatest", "greatest": "least",
               "minimum": "maximum", "maximum": "minimum"}
_UNARY_DROPS = {ast.Not: "not", ast.Invert: "~", ast.USub: "-"}


@dataclass
class Mutant:
    """One small fault: where, what (``label``, e.g. ``"<= → <"``) and the code around it."""

    index: int
    line: int
    label: str
    before: str
    after: str
    status: str = ""
    seconds: float = 0.0
    equivalent: str = ""
    detail: str = field(default="", repr=False)


# -- finding the mutants ---------------------------------------------------------------------

def _skipped_nodes(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, ``__all__`` and ``from __future__``."""
    skip: set[int] = set()

    def add(node):
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            add(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node.returns)
            for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                add(a.annotation)
            add(node.args.vararg and node.args.vararg.annotation)
            add(node.args.kwarg and node.args.kwarg.annotation)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
        elif isinstance(node, ast.ImportFrom):
            add(node)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            add(node)
    return skip


def _sites(tree: ast.Module, strings: bool):
    """Yield ``(node, label, apply)`` for every mutation of ``tree``, in a fixed order.

    ``apply(parents)`` makes the change in place (``parents`` maps a node to its parent, for
    changes that replace a node) and returns the new node where it replaced one."""
    skip = _skipped_nodes(tree)
    parents = _parents(tree) if strings else {}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                new = _COMPARE_SWAPS.get(type(op))
                if new:
                    yield node, f"{_OP_TEXT[type(op)]} → {_OP_TEXT[new]}", \
                        (lambda p, n=node, i=i, new=new: n.ops.__setitem__(i, new()))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            new = _BINOP_SWAPS.get(type(node.op))
            if new:
                yield node, f"{_OP_TEXT[type(node.op)]} → {_OP_TEXT[new]}", \
                    (lambda p, n=node, new=new: setattr(n, "op", new()))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"{_OP_TEXT[type(node.op)]} → {_OP_TEXT[new]}", \
                (lambda p, n=node, new=new: setattr(n, "op", new()))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_DROPS:
            if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
                continue  # a negative literal: its number is mutated instead
            yield node, f"{_UNARY_DROPS[type(node.op)]} removed", \
                (lambda p, n=node: _replace(p, n, n.operand) or n.operand)
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            test = node.test
            # ``not x`` loses its ``not`` and ``a == b`` flips its operator instead
            if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)) and not (
                    isinstance(test, ast.Compare) and len(test.ops) == 1
                    and type(test.ops[0]) in (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)):
                yield node.test, "condition negated", \
                    (lambda p, n=node: setattr(n, "test", ast.UnaryOp(ast.Not(), n.test)) or n.test)
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "return → return None", \
                (lambda p, n=node: setattr(n, "value", ast.Constant(None)))
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                yield node, f"{v} → {not v}", (lambda p, n=node: setattr(n, "value", not n.value))
            elif isinstance(v, (int, float)):
                if v == 1:
                    yield node, f"{v!r} → {type(v)(0)!r}", \
                        (lambda p, n=node: setattr(n, "value", type(n.value)(0)))
                yield node, f"{v!r} → {v + 1!r}", (lambda p, n=node: setattr(n, "value", n.value + 1))
            elif strings and isinstance(v, str) and v and not isinstance(
                    parents[id(node)][0], ast.JoinedStr):
                yield node, f"{v[:20]!r} → {(v[:20] + '~')!r}", \
                    (lambda p, n=node: setattr(n, "value", n.value + "~"))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in _NAME_SWAPS:
                new = _NAME_SWAPS[name]
                setter = (lambda p, f=f, new=new: setattr(f, "id", new)) if isinstance(f, ast.Name) \
                    else (lambda p, f=f, new=new: setattr(f, "attr", new))
                yield node, f"{name} → {new}", setter


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    out = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        out[id(child)] = (parent, name, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, name, None)
    return out


def _replace(parents, old: ast.AST, new: ast.AST) -> None:
    parent, name, index = parents[id(old)]
    if index is None:
        setattr(parent, name, new)
    else:
        getattr(parent, name)[index] = new


def _short(node: ast.AST, width: int = 70) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def find_mutants(source: str, strings: bool = False) -> list[Mutant]:
    """Every mutant of ``source``, numbered in a fixed order, each with the code it changes."""
    out: list[Mutant] = []
    seen: dict[tuple[int, str], int] = {}
    count = sum(1 for _ in _sites(ast.parse(source), strings))
    for index in range(count):
        # a fresh tree per mutant: the walk is the same, so site ``index`` is the same code
        tree = ast.parse(source)
        parents = _parents(tree)
        node, label, apply = next(s for i, s in enumerate(_sites(tree, strings)) if i == index)
        # a number alone says little: show the expression it is part of
        context = node
        while isinstance(context, ast.Constant) or not isinstance(context, (ast.expr, ast.stmt)):
            up = parents.get(id(context))
            if up is None or isinstance(up[0], ast.stmt):
                break
            context = up[0]
        before = _short(context)
        shown = apply(parents)
        key = (node.lineno, label)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            label = f"{label} #{seen[key]}"
        out.append(Mutant(index=index, line=node.lineno, label=label, before=before,
                          after=_short(shown if shown is not None else context)))
    return sorted(out, key=lambda m: (m.line, m.index))


def mutated_source(source: str, index: int, strings: bool = False) -> str:
    """``source`` with mutant ``index`` applied."""
    tree = ast.parse(source)
    parents = _parents(tree)
    for i, (_, _, apply) in enumerate(_sites(tree, strings)):
        if i == index:
            apply(parents)
            return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise IndexError(f"no mutant {index}")


# -- equivalents -----------------------------------------------------------------------------

def load_equivalents(path: Path, module: str) -> list[dict]:
    if not path.exists():
        return []
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    entries = data.get("equivalent", [])
    for i, e in enumerate(entries):
        missing = {"module", "line", "mutation", "reason"} - e.keys()
        if missing:
            raise SystemExit(f"{path}: entry {i + 1} lacks {', '.join(sorted(missing))}")
    return [e for e in entries if Path(e["module"]).as_posix() == Path(module).as_posix()]


# -- running ---------------------------------------------------------------------------------

def _engine_filter(engine: str) -> list[str]:
    return {"duckdb": ["-k", "not spark"], "spark": ["-k", "not duckdb"], "both": []}[engine]


_RUNNING: set[subprocess.Popen] = set()
_STOPPING = threading.Event()


def _run(cmd: list[str], env: dict, cwd: Path, timeout: float | None) -> tuple[int | None, str, float]:
    """Run ``cmd`` in its own process group; ``None`` as exit code when it timed out (the whole
    group, a JVM included, is then killed)."""
    if _STOPPING.is_set():
        raise RuntimeError("the check is stopping")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    _RUNNING.add(proc)
    if _STOPPING.is_set():  # started while the check was being stopped
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out, time.monotonic() - start
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out, time.monotonic() - start
    finally:
        _RUNNING.discard(proc)


def _stop_running() -> None:
    """Kill the test runs still going (when the check itself is stopped)."""
    _STOPPING.set()
    for proc in list(_RUNNING):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Workspace:
    """A private copy of the source tree where one mutant at a time is written."""

    def __init__(self, src: Path, module: Path, root: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="cvm-mutate-"))
        self.src = self.dir / src.name
        shutil.copytree(src, self.src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self.module = self.src / module.relative_to(src)
        self.original = module.read_text(encoding="utf-8")
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(self.src)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                               if p and Path(p).resolve() != src.resolve()]))
        self.basetemp = self.dir / "pytest"

    def write(self, text: str) -> None:
        self.module.write_text(text, encoding="utf-8")
        for cached in self.module.parent.glob(f"__pycache__/{self.module.stem}.*.pyc"):
            cached.unlink()

    def pytest(self, tests: list[str], extra: list[str], root: Path, timeout: float | None):
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               f"--basetemp={self.basetemp}", *extra, *tests]
        return _run(cmd, self.env, root, timeout)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def check(module: Path, tests: list[str], *, src: Path, root: Path, engine: str, jobs: int,
          equivalents_file: Path, strings: bool = False, only: set[int] | None = None,
          timeout: float | None = None, log=print) -> dict:
    """Run every mutant of ``module`` against ``tests``; the result as a dict (see ``--json``)."""
    source = module.read_text(encoding="utf-8")
    mutants = find_mutants(source, strings)
    rel = module.resolve().relative_to(root.resolve()).as_posix()
    equivalents = load_equivalents(equivalents_file, rel)
    by_key = {(e["line"], e["mutation"]): e for e in equivalents}
    for m in mutants:
        entry = by_key.get((m.line, m.label))
        if entry:
            m.equivalent = entry["reason"]
    stale = [e for e in equivalents
             if not any((m.line, m.label) == (e["line"], e["mutation"]) for m in mutants)]
    if only:
        mutants = [m for m in mutants if m.line in only]
    extra = _engine_filter(engine)

    pool: queue.Queue[Workspace] = queue.Queue()
    spaces = [Workspace(src, module, root) for _ in range(max(1, jobs))]
    for s in spaces:
        pool.put(s)
    try:
        first = spaces[0]
        code, out, _ = _run([sys.executable, "-c", "import cvm, sys; print(cvm.__file__)"]
                            if module.resolve().is_relative_to((src / "cvm").resolve())
                            else [sys.executable, "-c", "pass"], first.env, root, 120)
        if code != 0 or (out.strip() and not out.strip().startswith(str(first.src))):
            raise SystemExit(f"the copy of {src} is not what the tests import: {out.strip()}")
        code, out, baseline = first.pytest(tests, extra, root, None)
        if code != 0:
            raise SystemExit(f"the tests fail without any mutant (exit {code}):\n{out[-3000:]}")
        for s in spaces[1:]:  # compile each copy once, as the first run did
            s.pytest(tests, extra + ["--collect-only"], root, None)
        # a mutant that makes a loop endless is stopped after a few times the normal run
        timeout = timeout or max(30.0, 4 * baseline + 10)
        log(f"{rel}: {len(mutants)} mutants; tests pass in {baseline:.1f} s without them "
            f"(timeout {timeout:.0f} s, {len(spaces)} job(s))")

        def run_one(m: Mutant) -> Mutant:
            space = pool.get()
            try:
                space.write(mutated_source(source, m.index, strings))
                code, out, m.seconds = space.pytest(tests, extra, root, timeout)
                m.status = "timeout" if code is None else "survived" if code == 0 else "caught"
                if code not in (0, 1, None):
                    m.detail = out[-1500:]
            finally:
                space.write(source)
                pool.put(space)
            flag = " (listed as equivalent)" if m.equivalent else ""
            log(f"  line {m.line:4d}  {m.label:<28} {m.status:<8}{flag}  "
                f"{m.before}  ⇒  {m.after}")
            return m

        ex = ThreadPoolExecutor(max_workers=len(spaces))
        try:
            done = list(ex.map(run_one, mutants))
        except BaseException:
            _stop_running()  # the runs under way end at once, the ones queued never start
            raise
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
    finally:
        _stop_running()
        for s in spaces:
            s.close()
    return summarise(rel, done, stale, engine, baseline)


def summarise(module: str, mutants: list[Mutant], stale: list[dict], engine: str,
              baseline: float) -> dict:
    caught = sum(m.status == "caught" for m in mutants)
    timeouts = sum(m.status == "timeout" for m in mutants)
    equivalent = [m for m in mutants if m.equivalent and m.status == "survived"]
    wrongly_listed = [m for m in mutants if m.equivalent and m.status != "survived"]
    counted = len(mutants) - len(equivalent)
    score = (caught + timeouts) / counted if counted else 1.0
    return {
        "module": module, "engine": engine, "baseline_seconds": round(baseline, 2),
        "mutants": len(mutants), "caught": caught, "timeouts": timeouts,
        "survived": sum(m.status == "survived" for m in mutants) - len(equivalent),
        "equivalent": len(equivalent), "score": round(score, 4),
        "wrongly_listed": [asdict(m) for m in wrongly_listed],
        "stale_equivalents": stale,
        "results": [asdict(m) for m in mutants],
    }


def report(summary: dict, log=print) -> None:
    survivors = [m for m in summary["results"] if m["status"] == "survived" and not m["equivalent"]]
    if survivors:
        log("survived:")
        for m in survivors:
            log(f"  line {m['line']:4d}  {m['label']:<28} {m['before']}  ⇒  {m['after']}")
    for m in summary["wrongly_listed"]:
        log(f"listed as equivalent but {m['status']}: line {m['line']} {m['label']} "
            "(remove the entry)")
    for e in summary["stale_equivalents"]:
        log(f"equivalent entry matches no mutant: line {e['line']} {e['mutation']}")
    log(f"{summary['module']}: {summary['mutants']} mutants, {summary['caught']} caught, "
        f"{summary['timeouts']} timed out, {summary['survived']} survived, "
        f"{summary['equivalent']} equivalent: score {summary['score']:.1%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("module", help="the module to mutate, e.g. src/cvm/features/rfm.py")
    p.add_argument("tests", nargs="+", help="test files (or pytest node ids) to run")
    p.add_argument("--engine", choices=("duckdb", "spark", "both"), default="duckdb")
    p.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    p.add_argument("--json", type=Path, help="write every result to this file")
    p.add_argument("--src", type=Path, default=Path("src"),
                   help="the source tree copied for each job (default src)")
    p.add_argument("--equivalents", type=Path, default=Path("tests/mutation_equivalents.toml"))
    p.add_argument("--strings", action="store_true", help="also mutate string constants")
    p.add_argument("--only", help="only the mutants on these lines (comma-separated)")
    p.add_argument("--timeout", type=float,
                   help="seconds before a mutant's run is stopped (default: 4 × the normal run + 10, "
                        "at least 30)")
    p.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = p.parse_args(argv)
    # stopped with a signal, still kill the test runs and remove the copies (``finally``)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = Path.cwd()
    module = args.module if isinstance(args.module, Path) else Path(args.module)
    if not module.resolve().is_relative_to(args.src.resolve()):
        p.error(f"{module} is not inside {args.src} (see --src)")
    if args.list:
        for m in find_mutants(module.read_text(encoding="utf-8"), args.strings):
            print(f"line {m.line:4d}  {m.label:<28} {m.before}  ⇒  {m.after}")
        return 0
    only = {int(x) for x in args.only.split(",")} if args.only else None
    summary = check(module, args.tests, src=args.src, root=root, engine=args.engine,
                    jobs=args.jobs, equivalents_file=args.equivalents, strings=args.strings,
                    only=only, timeout=args.timeout)
    report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
