"""The figures every interface shows, computed once over a workspace's stored runs.

The CLI, the REST API, the dashboard and the report show the same figures of a run: the
overview (customers, revenue, active share, Pareto curve, segments), the segment summary in any
scheme, the value × lifecycle matrix, the lifecycle funnel and flows, the CLV distribution, the
model's holdout check, the alerts and one customer's 360° view. Each is a function of a
:class:`StoredResults` (a workspace's runs, read safely while another run writes, with a
cache), a run id and a language, returning plain JSON-ready data; the interfaces only format
and serve it. Optional results (CLV, lifecycle, the matrix, linked customers) are used when the
run has them; otherwise the answer says ``available: false`` with the reason.

Nothing here fits a model: the holdout check is computed when the run runs
(:mod:`cvm.insights.holdout`) and read back.
"""

from .cohorts import cohorts
from .customer import customer_360
from .lifecycle import GROUP_ORDER, STAGE_ORDER, flows, funnel, history_flows, matrix
from .lifetime_value import clv, clv_validation
from .overview import ACTIVE_DAYS, alerts, overview, segments
from .stored import BadQuery, NotFound, StoredResults, run_table
from .wording import RunWording

__all__ = ["StoredResults", "NotFound", "BadQuery", "RunWording", "run_table",
           "overview", "segments", "matrix", "funnel", "flows", "history_flows", "clv",
           "clv_validation", "alerts", "customer_360", "cohorts", "STAGE_ORDER", "GROUP_ORDER",
           "ACTIVE_DAYS"]
