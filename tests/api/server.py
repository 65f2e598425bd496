"""A real `cvm serve` process on a free loopback port, for tests over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    workspace: Path
    tokens: dict[str, str]
    demo_files: tuple[Path, Path]
    max_upload_mb: float = 1.0
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # added to this process's environment
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: Path) -> "Server":
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "serve_for_tests.py"), "serve", "--workspace",
             str(self.workspace), "--port", str(self.port), "--max-upload-mb",
             str(self.max_upload_mb), "--source", f"demo={self.demo_files[0]}",
             *self.extra_args],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cvm serve exited: {log.read_text(errors='replace')}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("cvm serve did not come up in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()

    def client(self, role: str | None = None, *, headers: dict | None = None) -> httpx.Client:
        sent = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        sent.update(headers or {})
        return httpx.Client(base_url=self.url + "/api/v1", headers=sent, timeout=60)

    def marker(self, kind: str) -> Path:
        return self.workspace.with_name(self.workspace.name + "." + kind)


def build_workspace(folder: Path, customers: int = 400, extra_transactions: str = "", *,
                    lang: str = "en", analysed: bool = True, with_products: bool = False,
                    members: bool = False, contacts: bool = False
                    ) -> tuple[Path, dict[str, str], tuple]:
    """A workspace with one complete run on demo data (and ``extra_transactions``, CSV rows
    in the demo's columns) made in ``lang`` — or no run at all unless ``analysed`` — and a
    token per role. ``with_products``: the run takes the demo's order lines and past campaign
    too (its cross-sell and uplift stages, as ``cvm demo``); with ``members``, the demo's
    subscription payments are loaded first; with ``contacts``, the demo's service log and
    survey (with its structural model) too, as ``cvm demo`` loads them. The files returned:
    transactions and customers, then the members' payments, service log, survey and the
    survey's definition and model files loaded."""
    from cvm.api.tokens import create_token
    from cvm.config import AnalysisConfig
    from cvm.demo import DEMO_AS_OF, write_demo_data
    from cvm.pipeline import run
    from cvm.workspace import Workspace

    tx, cust = write_demo_data(folder / "data", customers=customers)
    if extra_transactions:
        with tx.open("a", encoding="utf-8") as out:
            out.write(extra_transactions)
    path = folder / "shop.duckdb"
    extra: tuple = ()  # the further files loaded, beside transactions and customers
    if members:
        from cvm.demo import write_demo_members
        from cvm.ingest.members import load_member_payments

        with Workspace(path) as ws:
            payments = write_demo_members(folder / "data")
            load_member_payments(ws, payments)
        extra = (payments,)
    if contacts:
        from cvm.demo import service_log_path
        from cvm.interactions import load_interactions
        from cvm.satisfaction.demo import write_demo_survey, write_demo_survey_model
        from cvm.satisfaction.survey import load_survey
        from cvm.satisfaction.survey_model import store_survey_model

        survey, definition = write_demo_survey(folder / "data", tx)
        model = write_demo_survey_model(folder / "data")
        with Workspace(path) as ws:
            load_interactions(ws, service_log_path(folder / "data"), as_of=DEMO_AS_OF)
            load_survey(ws, survey, definition=definition)
            store_survey_model(ws, model)
        extra = (*extra, service_log_path(folder / "data"), survey, definition, model)
    if analysed:
        stages = None
        if with_products:
            from cvm.demo_orders import demo_stages

            stages = demo_stages(folder / "data", tx)
        run([tx], customers=[cust], workspace=path, out=None,
            config=AnalysisConfig(as_of=DEMO_AS_OF, lang=lang), stages=stages)
    with Workspace(path) as ws:
        tokens = {role: create_token(ws, role, name=f"test {role}")
                  for role in ("viewer", "analyst", "admin")}
    return path, tokens, (tx, cust, *extra)


def wait_job(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("complete", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")
