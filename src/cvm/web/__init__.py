"""The dashboard: pages served by ``cvm serve`` at ``/``, drawing from the REST API, with
Apache ECharts and every other asset served from this package."""
