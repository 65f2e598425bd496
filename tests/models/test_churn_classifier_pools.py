"""The churn classifier's thread pools: fitting and scoring on one BLAS and one OpenMP thread,
scoring in chunks of 131,072 rows from the first row past one chunk, and a pool of one thread
per core, never more threads than chunks."""

from __future__ import annotations

import concurrent.futures
import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from cvm.models import churn_classifier
from cvm.models.churn_classifier import _by_chunks, _one_thread, in_one_thread


def _threads(api=None):
    return {(p["user_api"], p["num_threads"]) for p in threadpool_info()
            if api is None or p["user_api"] == api}


def test_fitting_runs_on_one_thread_of_every_pool():
    with _one_thread():
        inside = _threads()
    assert inside and {n for _, n in inside} == {1}
    # both kinds of pool are limited: the BLAS of numpy and scipy, scikit-learn's OpenMP
    assert {api for api, _ in inside} == {"blas", "openmp"}


def test_a_task_in_a_new_thread_keeps_to_one_openmp_thread():
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)

    def openmp_threads():
        return _threads("openmp")

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        wrapped = pool.submit(in_one_thread(openmp_threads)).result()
    assert wrapped == {("openmp", 1)}
    assert in_one_thread(openmp_threads).__name__ == "openmp_threads"


def _recording_score(calls):
    def score(rows):
        calls.append((threading.get_ident(), len(rows), rows.flags["C_CONTIGUOUS"]))
        return rows[:, 0] * 2.0
    return score


@pytest.mark.parametrize("n, sizes", [(1, [1]), (131_072, [131_072]),
                                      (131_073, [131_072, 1])])
def test_scores_in_one_pass_up_to_one_chunk_of_131072_rows(n, sizes):
    A = np.asfortranarray(np.column_stack([np.arange(n, dtype=float), np.ones(n)]))
    calls = []
    out = _by_chunks(_recording_score(calls), A)
    np.testing.assert_array_equal(out, 2.0 * np.arange(n))
    assert sorted(size for _, size, _ in calls) == sorted(sizes)
    assert all(contiguous for _, _, contiguous in calls)
    here = threading.get_ident()
    if len(sizes) == 1:
        # one pass runs in the caller's thread, no pool
        assert [ident for ident, _, _ in calls] == [here]
    else:
        assert all(ident != here for ident, _, _ in calls)


class _Recorded(concurrent.futures.ThreadPoolExecutor):
    workers: list = []

    def __init__(self, max_workers=None, **kwargs):
        type(self).workers.append(max_workers)
        super().__init__(max_workers=max_workers, **kwargs)


@pytest.mark.parametrize("cores, rows, workers", [
    (3, 21, 3),       # 21 chunks on 3 cores: 3 threads
    (8, 3, 3),        # 3 chunks on 8 cores: 3 threads, one per chunk
    (None, 21, 1),    # a core count Python cannot tell: one thread
    (2, 2, 2),
])
def test_the_pool_has_a_thread_per_core_and_at_most_one_per_chunk(monkeypatch, cores, rows,
                                                                   workers):
    monkeypatch.setattr(churn_classifier, "SCORE_CHUNK_ROWS", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", _Recorded)
    _Recorded.workers = []
    calls = []
    out = _by_chunks(_recording_score(calls), np.arange(rows, dtype=float)[:, None])
    np.testing.assert_array_equal(out, 2.0 * np.arange(rows))
    assert _Recorded.workers == [workers]
    assert len(calls) == rows
    assert len({ident for ident, _, _ in calls}) <= workers
