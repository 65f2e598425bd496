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

from .config import ABCOptions, AnalysisConfig, IngestOptions, Mapping, RFMOptions, load_mapping  # noqa: E402
from .ingest.load import LoadReport, load_customers, load_transactions  # noqa: E402
from .features.customers import customer_features  # noqa: E402
from .pipeline import AnalysisError, RunResult, analyse, run  # noqa: E402
from .workspace import Workspace  # noqa: E402

__all__ = [
    "__version__",
    "ABCOptions",
    "AnalysisConfig",
    "AnalysisError",
    "IngestOptions",
    "LoadReport",
    "Mapping",
    "RFMOptions",
    "RunResult",
    "Workspace",
    "analyse",
    "customer_features",
    "load_customers",
    "load_mapping",
    "load_transactions",
    "run",
]
