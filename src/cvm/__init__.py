"""cvm — customer value management: who your valuable customers are, where each one is in the
relationship, what each is worth, and what to do with each group.

The public API::

    import cvm
    result = cvm.run("sales.csv", workspace="shop.duckdb", out="results")
    ws = cvm.Workspace("shop.duckdb")
    cvm.load_transactions(ws, "more.csv")
    result = cvm.analyse(ws, cvm.AnalysisConfig(as_of=datetime.date(2024, 6, 30)))
"""

__version__ = "0.1.0"

import importlib

#: each name of the public API and the module that defines it: imported when first used, so
#: that ``cvm --help`` or a command that stops at a missing file does not load the models,
#: the engines and the report (a second or two per process)
_API = {
    "ABCOptions": "config",
    "AnalysisConfig": "config",
    "IngestOptions": "config",
    "Mapping": "config",
    "RFMOptions": "config",
    "load_mapping": "config",
    "LoadReport": "ingest.load",
    "load_customers": "ingest.load",
    "load_transactions": "ingest.load",
    "customer_features": "features.customers",
    "AnalysisError": "pipeline",
    "RunResult": "pipeline",
    "analyse": "pipeline",
    "run": "pipeline",
    "Workspace": "workspace",
}

__all__ = ["__version__", *sorted(_API, key=str.lower)]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'cvm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
