"""The settings of the Spark session a run starts: master and ``spark.*`` configuration.

Where they come from, later ones winning:

1. cvm's defaults (:data:`DEFAULTS`: no web UI, the driver on loopback, UTC session time);
2. ``CVM_SPARK_CONF``: comma-separated ``KEY=VALUE`` pairs, e.g.
   ``CVM_SPARK_CONF=spark.executor.memory=2g,spark.sql.shuffle.partitions=16``;
3. ``--spark-conf KEY=VALUE`` on the command line (repeatable), or :func:`set_conf` from Python.

``CVM_SPARK_MASTER`` picks the master (default ``local[2]``); a ``spark.master`` setting among
the pairs overrides it. They apply when cvm starts the session; a session already running in
the program (a notebook's) is used as it is, with the settings Spark lets a running session
change (``spark.sql.*``) set on it and the others reported as not applied.
"""

from __future__ import annotations

import os

from ..errors import ConfigError

__all__ = ["DEFAULTS", "parse_pairs", "env_conf", "set_conf", "given_conf", "session_conf",
           "master"]

#: cvm's own defaults for a session it starts
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
}

#: the settings given on the command line or by :func:`set_conf` in this process
_GIVEN: dict[str, str] = {}


def parse_pairs(pairs, origin: str) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; ``origin`` names where they came from in the error."""
    conf: dict[str, str] = {}
    for pair in pairs:
        pair = pair.strip()
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ConfigError(f"{origin}: {pair!r} is not a setting as KEY=VALUE "
                              "(e.g. spark.executor.memory=2g)")
        conf[key] = value
    return conf


def env_conf() -> dict[str, str]:
    """The settings in ``CVM_SPARK_CONF`` (comma-separated ``KEY=VALUE``)."""
    return parse_pairs(os.environ.get("CVM_SPARK_CONF", "").split(","), "CVM_SPARK_CONF")


def set_conf(conf: dict[str, str]) -> None:
    """Add settings for the Spark session of this process (what ``--spark-conf`` does)."""
    _GIVEN.update({str(k): str(v) for k, v in conf.items()})


def given_conf() -> dict[str, str]:
    """The settings given in this process: ``CVM_SPARK_CONF``, then :func:`set_conf`'s."""
    return {**env_conf(), **_GIVEN}


def session_conf() -> dict[str, str]:
    """Every setting of a session cvm starts (without the master)."""
    conf = {"spark.sql.shuffle.partitions": os.environ.get("CVM_SPARK_PARTITIONS", "8"),
            **DEFAULTS, **given_conf()}
    conf.pop("spark.master", None)
    return conf


def master() -> str:
    """The master of a session cvm starts: ``spark.master`` if given, else
    ``CVM_SPARK_MASTER``, else ``local[2]``."""
    return given_conf().get("spark.master") or os.environ.get("CVM_SPARK_MASTER") or "local[2]"
