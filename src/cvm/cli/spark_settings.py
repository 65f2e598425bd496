"""``--spark-conf KEY=VALUE``: Spark settings on every command that has ``--engine``."""

from __future__ import annotations

import click

__all__ = ["spark_conf_option"]


def _record(ctx, param, value):
    from ..config import ConfigError
    from ..spark.settings import parse_pairs, set_conf

    try:
        set_conf(parse_pairs(value or (), "--spark-conf"))
    except ConfigError as exc:
        raise click.BadParameter(str(exc).removeprefix("--spark-conf: ")) from None


def spark_conf_option(func):
    """Add ``--spark-conf`` (repeatable) to a command; the settings go to the Spark session the
    command starts (:mod:`cvm.spark.settings`), after those of ``CVM_SPARK_CONF``."""
    return click.option(
        "--spark-conf", multiple=True, metavar="KEY=VALUE", expose_value=False,
        callback=_record,
        help="A Spark setting for --engine spark, e.g. spark.executor.memory=2g; repeatable "
             "(also CVM_SPARK_CONF=K=V,K=V; CVM_SPARK_MASTER picks the master).")(func)
