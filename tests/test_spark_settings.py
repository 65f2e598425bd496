"""Spark session settings: ``CVM_SPARK_CONF``, ``--spark-conf``, ``CVM_SPARK_MASTER``."""

from __future__ import annotations

import logging

import pytest

from cvm.config import ConfigError
from cvm.spark import settings


@pytest.fixture(autouse=True)
def _no_given_settings(monkeypatch):
    monkeypatch.setattr(settings, "_GIVEN", {})
    monkeypatch.delenv("CVM_SPARK_CONF", raising=False)
    monkeypatch.delenv("CVM_SPARK_MASTER", raising=False)


def test_the_environment_and_the_command_line_add_to_the_defaults_in_that_order(monkeypatch):
    monkeypatch.setenv("CVM_SPARK_CONF", "spark.executor.memory=2g, spark.sql.shuffle.partitions=4")
    assert settings.env_conf() == {"spark.executor.memory": "2g",
                                   "spark.sql.shuffle.partitions": "4"}
    settings.set_conf({"spark.sql.shuffle.partitions": "6", "spark.driver.maxResultSize": "32m"})
    conf = settings.session_conf()
    assert conf["spark.sql.shuffle.partitions"] == "6"  # the command line wins
    assert conf["spark.executor.memory"] == "2g"
    assert conf["spark.driver.maxResultSize"] == "32m"
    assert conf["spark.ui.enabled"] == "false"  # cvm's default stays
    settings.set_conf({"spark.ui.enabled": "true"})
    assert settings.session_conf()["spark.ui.enabled"] == "true"


def test_the_master_comes_from_the_environment_or_a_spark_master_setting(monkeypatch):
    assert settings.master() == "local[2]"
    monkeypatch.setenv("CVM_SPARK_MASTER", "spark://127.0.0.1:7077")
    assert settings.master() == "spark://127.0.0.1:7077"
    settings.set_conf({"spark.master": "local[1]"})
    assert settings.master() == "local[1]"
    assert "spark.master" not in settings.session_conf()


@pytest.mark.parametrize("value", ["spark.executor.memory", "=2g", "spark.x="])
def test_a_pair_without_key_or_value_is_refused_naming_its_origin(monkeypatch, value):
    monkeypatch.setenv("CVM_SPARK_CONF", value)
    with pytest.raises(ConfigError, match=f"CVM_SPARK_CONF: '{value}' is not a setting as "
                                          "KEY=VALUE"):
        settings.env_conf()


def test_the_cli_takes_repeated_settings_and_refuses_a_bad_one(tmp_path):
    from click.testing import CliRunner

    from cvm.cli import main

    bad = CliRunner().invoke(main, ["run", "x.csv", "--spark-conf", "spark.executor.memory"])
    assert bad.exit_code == 2
    assert "'spark.executor.memory' is not a setting as KEY=VALUE" in bad.output
    # the settings are recorded before the command runs (it then fails on the missing file)
    CliRunner().invoke(main, ["run", str(tmp_path / "none.csv"), "--workspace",
                              str(tmp_path / "w.duckdb"), "--spark-conf", "spark.a=1",
                              "--spark-conf", "spark.b=x=y"])
    assert settings.given_conf() == {"spark.a": "1", "spark.b": "x=y"}
    for command in (["demo"], ["churn", "validate"], ["validate-clv"], ["link"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert "--spark-conf" in result.output, command


def test_a_running_session_takes_the_settings_it_can_change(spark_engine, caplog):
    from cvm.engine import spark_session

    session = spark_session()
    before = session.conf.get("spark.sql.shuffle.partitions")
    settings.set_conf({"spark.sql.shuffle.partitions": "3", "spark.executor.cores": "7"})
    try:
        with caplog.at_level(logging.WARNING, logger="cvm.engine"):
            assert spark_session() is session
        assert session.conf.get("spark.sql.shuffle.partitions") == "3"
        assert "spark.executor.cores=7 applies only to a session cvm starts" in caplog.text
    finally:
        session.conf.set("spark.sql.shuffle.partitions", before)
