"""Unified customers: one ``customer_id`` for each person across source systems.

:func:`link` loads customer lists and links them (normalisers in :mod:`~cvm.identity.names`,
:mod:`~cvm.identity.phones`, :mod:`~cvm.identity.emails`, :mod:`~cvm.identity.national_ids`;
Splink model in :mod:`~cvm.identity.model`); :func:`unify` is the pipeline's stage that gives
every source id not linked yet an id of its own; :func:`customer_view` is one customer's 360°
view.
"""

from .clusters import assign_ids, cluster_records
from .decisions import Decision, DecisionError, read_decisions, store_decisions
from .exports import write_linkage
from .golden import Survivorship
from .link import LinkError, LinkOptions, LinkResult, link, link_customers
from .view import CustomerNotFound, CustomerView, customer_view
from .xref import unify

__all__ = [
    "unify",
    "link",
    "link_customers",
    "LinkOptions",
    "LinkResult",
    "LinkError",
    "Survivorship",
    "Decision",
    "DecisionError",
    "read_decisions",
    "store_decisions",
    "write_linkage",
    "customer_view",
    "CustomerView",
    "CustomerNotFound",
    "cluster_records",
    "assign_ids",
]
