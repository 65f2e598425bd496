"""The PostgreSQL server of the database-source tests: its URL, or the test skipped (failed when
``CVM_REQUIRE_POSTGRES`` is set, as ``scripts/test.sh`` sets it)."""

from __future__ import annotations

import os

import pytest


def server_url() -> str:
    """``CVM_TEST_POSTGRES_URL``; without it the calling test is skipped, or fails when
    ``CVM_REQUIRE_POSTGRES`` is set."""
    url = os.environ.get("CVM_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CVM_REQUIRE_POSTGRES"):
            pytest.fail("CVM_REQUIRE_POSTGRES is set but CVM_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL server (set CVM_TEST_POSTGRES_URL)")
    return url
