"""The REST API (``/api/v1``) and the server that also carries the dashboard.

Run it with uvicorn, as ``cvm serve`` does::

    from cvm.api import Settings, create_app
    app = create_app(Settings(workspace="shop.duckdb"))
"""

from __future__ import annotations

__all__ = ["create_app", "Settings"]


def __getattr__(name: str):
    # FastAPI is imported only when the server is asked for
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
