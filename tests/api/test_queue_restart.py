"""The run queue outlives the server: every run answered 202 ends complete or failed with a
reason, even when the server is killed with SIGKILL while runs wait in line."""

from __future__ import annotations

import time

from .server import Server, build_workspace, wait_job

QUEUED = 4


def _wait_for(path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout} s"
        time.sleep(0.05)


def test_queued_uploads_survive_a_killed_server(tmp_path):
    path, tokens, files = build_workspace(tmp_path, customers=300)
    server = Server(path, tokens, files, max_upload_mb=5.0).start(tmp_path / "serve-1.log")
    tx, cust = files
    upload_dir = path.with_name(f".{path.name}.uploads")
    try:
        server.marker("reached").unlink(missing_ok=True)
        server.marker("hold").write_text("")  # the first run stays under way
        with server.client("admin") as admin:
            before = admin.get("/health").json()["latest_run"]
            answered = []
            for i in range(QUEUED):
                with tx.open("rb") as t:
                    response = admin.post("/runs/upload",
                                          files={"transactions": (f"sales-{i}.csv", t, "text/csv")},
                                          data={"as_of": "2024-12-31", "rfm_scheme": "cn8"})
                assert response.status_code == 202, response.text
                answered.append(response.json()["job_id"])
            _wait_for(server.marker("reached"))  # the first run is in its analysis
            statuses = [admin.get(f"/jobs/{j}").json()["status"] for j in answered]
            assert statuses == ["running"] + ["queued"] * (QUEUED - 1)
        assert len(list(upload_dir.iterdir())) == QUEUED
        server.process.kill()  # SIGKILL
        server.process.wait(30)
        server.stop()
    finally:
        server.marker("hold").unlink(missing_ok=True)
        server.stop()
    stray = upload_dir / "0123456789ab"  # an upload the killed server was still receiving
    stray.mkdir()
    (stray / "half.csv").write_text("customer,date,amount\n")

    again = Server(path, tokens, files, max_upload_mb=5.0).start(tmp_path / "serve-2.log")
    try:
        with again.client("admin") as admin:
            done = [wait_job(admin, j, timeout=300) for j in answered]
            first, rest = done[0], done[1:]
            assert first["status"] == "failed"
            assert first["error"] == ("interrupted: the server stopped while this job was "
                                      "running; the previous results stay in place; start the "
                                      "run again")
            assert [j["status"] for j in rest] == ["complete"] * (QUEUED - 1)
            assert [j["run_id"] for j in rest] == list(range(before + 2, before + 1 + QUEUED))
            assert [j["files"] for j in done] == [[f"sales-{i}.csv"] for i in range(QUEUED)]
            runs = {r["run_id"]: r for r in admin.get("/runs").json()}
            assert runs[before + 1]["status"] == "interrupted"
            assert runs[before + 1]["error"].startswith(
                "interrupted: the process running it (pid ")
            assert admin.get("/health").json()["latest_run"] == before + QUEUED
            assert admin.get("/segments").json()["scheme"] == "cn8"
            listed = {j["job_id"]: j["status"] for j in admin.get("/jobs").json()}
            assert {j: listed[j] for j in answered} == {j["job_id"]: j["status"] for j in done}
        # every upload is removed once its job has ended, and so is the stray one
        assert list(upload_dir.iterdir()) == []
    finally:
        again.stop()
