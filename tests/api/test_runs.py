"""Runs over HTTP: upload and run, progress, queueing, a run failing midway, upload limits."""

from __future__ import annotations

import time

import pytest

from .server import wait_job


@pytest.fixture(autouse=True)
def no_markers(api_server):
    for kind in ("slow", "fail", "hold"):
        api_server.marker(kind).unlink(missing_ok=True)
    yield
    for kind in ("slow", "fail", "hold"):
        api_server.marker(kind).unlink(missing_ok=True)


def _latest(client) -> int:
    return client.get("/health").json()["latest_run"]


def test_upload_and_run(api_server, admin):
    before = _latest(admin)
    tx, cust = api_server.demo_files
    with tx.open("rb") as t, cust.open("rb") as c:
        response = admin.post("/runs/upload", files={"transactions": (tx.name, t, "text/csv"),
                                                     "customers": (cust.name, c, "text/csv")},
                              data={"as_of": "2024-12-31", "lang": "zh"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running") and job["files"] == [tx.name, cust.name]
    done = wait_job(admin, job["job_id"])
    assert done["status"] == "complete", done
    assert done["progress"] == 1.0 and done["run_id"] == before + 1
    assert _latest(admin) == before + 1
    overview = admin.get("/overview").json()
    assert overview["run_id"] == before + 1 and overview["as_of"] == "2024-12-31"
    assert any("冠军" in s["label"] or "重要" in s["label"] or s["label"] for s in overview["segments"])
    runs = admin.get("/runs").json()
    assert runs[-1]["status"] == "complete" and runs[-1]["run_id"] == before + 1


def test_rerun_on_a_configured_source(admin):
    assert admin.get("/sources").json() == ["demo"]
    bad = admin.post("/runs", json={"source": "nope"})
    assert bad.status_code == 400 and "unknown source" in bad.json()["detail"]
    job = admin.post("/runs", json={"source": "demo", "rfm_scheme": "cn8"}).json()
    done = wait_job(admin, job["job_id"])
    assert done["status"] == "complete", done
    assert admin.get("/segments").json()["scheme"] == "cn8"


def test_two_runs_are_queued_not_interleaved_and_readers_see_the_last_complete(api_server, admin):
    before = _latest(admin)
    api_server.marker("reached").unlink(missing_ok=True)
    api_server.marker("hold").write_text("")
    first = admin.post("/runs", json={}).json()
    second = admin.post("/runs", json={}).json()
    assert second["status"] == "queued"
    # the first run is held inside its analysis: it cannot store its results until released
    _wait_for(api_server.marker("reached"))
    for _ in range(5):
        a = admin.get(f"/jobs/{first['job_id']}").json()
        b = admin.get(f"/jobs/{second['job_id']}").json()
        assert (a["status"], b["status"]) == ("running", "queued")
        # while the first run is under way, readers get the previous complete run
        assert admin.get("/overview").json()["run_id"] == before
        assert admin.get("/customers", params={"page_size": 3}).status_code == 200
        statuses = [r["status"] for r in admin.get("/runs").json()]
        assert statuses.count("running") == 1 and statuses[-1] == "running"
        time.sleep(0.1)
    api_server.marker("hold").unlink()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # the second is read first: if it is running, the first ended before it started, so
        # the first, read after it, must be over (read the other way round, the first could end
        # and the second start between the two reads)
        b = admin.get(f"/jobs/{second['job_id']}").json()
        a = admin.get(f"/jobs/{first['job_id']}").json()
        assert not (a["status"] == "running" and b["status"] == "running")
        if b["status"] in ("complete", "failed"):
            break
        time.sleep(0.1)
    a, b = wait_job(admin, first["job_id"]), wait_job(admin, second["job_id"])
    assert a["status"] == b["status"] == "complete"
    assert (a["run_id"], b["run_id"]) == (before + 1, before + 2)
    assert b["started_at"] >= a["finished_at"]


def _wait_for(path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout} s"
        time.sleep(0.05)


def test_a_run_failing_midway_leaves_the_previous_results(api_server, admin):
    before = _latest(admin)
    served = admin.get("/customers", params={"page_size": 5}).json()
    api_server.marker("fail").write_text("")
    job = admin.post("/runs", json={}).json()
    done = wait_job(admin, job["job_id"])
    assert done["status"] == "failed"
    assert "failed on purpose" in done["error"]
    runs = admin.get("/runs").json()
    assert runs[-1]["status"] == "failed" and "failed on purpose" in runs[-1]["error"]
    assert _latest(admin) == before
    assert admin.get("/overview").json()["run_id"] == before
    assert admin.get("/customers", params={"page_size": 5}).json() == served
    alerts = admin.get("/alerts").json()
    assert alerts[0]["code"] == "last_run_failed" and alerts[0]["level"] == "critical"
    api_server.marker("fail").unlink()
    again = wait_job(admin, admin.post("/runs", json={}).json()["job_id"])
    assert again["status"] == "complete" and again["run_id"] == runs[-1]["run_id"] + 1


def test_an_unreadable_upload_fails_the_job_not_the_server(admin):
    before = _latest(admin)
    content = "colour,shape\nred,circle\nblue,square\n".encode()
    job = admin.post("/runs/upload", files={"transactions": ("shapes.csv", content, "text/csv")})
    assert job.status_code == 202
    done = wait_job(admin, job.json()["job_id"])
    assert done["status"] == "failed" and done["error"]
    assert _latest(admin) == before


@pytest.mark.parametrize("name,content,reason", [
    ("report.pdf", b"%PDF-1.4 ...", "not supported"),
    ("sales.csv", bytes(range(256)) * 40, "binary"),
    ("sales.xlsx", b"not a workbook at all", "not an Excel"),
    ("sales.parquet", b"nope", "not a Parquet"),
    ("empty.csv", b"", "empty"),
])
def test_unsupported_uploads_are_400(admin, name, content, reason):
    response = admin.post("/runs/upload", files={"transactions": (name, content)})
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_upload_without_a_file_is_refused(admin):
    response = admin.post("/runs/upload", data={"lang": "en"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert (problem["type"], problem["loc"]) == ("missing", ["body", "transactions"])


def test_uploads_over_the_limit_are_413(api_server, admin):
    big = b"customer,date,amount\n" + b"C1,2024-01-01,10.00\n" * 80_000  # ~1.6 MB > 1 MB
    response = admin.post("/runs/upload", files={"transactions": ("big.csv", big, "text/csv")})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    # without a Content-Length header, the limit is enforced while the body streams in
    def chunks():
        yield (b"--b\r\nContent-Disposition: form-data; name=\"transactions\"; "
               b"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n")
        for _ in range(40):
            yield b"C1,2024-01-01,10.00\n" * 2_000
        yield b"\r\n--b--\r\n"
    streamed = admin.post("/runs/upload", content=chunks(),
                          headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413
    assert admin.get("/health").status_code == 200


def test_bad_run_settings_are_400(admin):
    assert admin.post("/runs", json={"rfm_scheme": "nope"}).status_code == 400
    assert admin.post("/runs", json={"window_days": 0}).status_code == 422
    assert admin.post("/runs", json={"surprise": 1}).status_code == 422
