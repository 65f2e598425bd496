#!/usr/bin/env bash
# The test command: installs what the tests need and runs the whole suite.
#   - Python packages into .venv (cvm with its Spark and test extras)
#   - Java for Spark, a PostgreSQL server on loopback, chromium, a Chinese font and Pango (for
#     WeasyPrint), from Debian, when missing
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
# the dashboard's browser tests drive Debian's chromium (never a downloaded browser build)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# a font with Chinese, so that the browser tests see characters and not boxes (fc-list comes with
# fontconfig, which chromium and WeasyPrint need too)
command -v fc-list >/dev/null 2>&1 || need_apt+=(fontconfig)
{ command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family)" ]; } \
    || need_apt+=(fonts-noto-cjk)
# WeasyPrint (the PDF report) loads Pango's fontconfig backend at import
ldconfig -p 2>/dev/null | grep 'libpangoft2-1.0.so.0' >/dev/null || need_apt+=(libpangoft2-1.0-0)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing ${need_apt[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL on 127.0.0.1 for the database-source tests
cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
    pg_createcluster 15 main >/dev/null
    cluster="15 main"
fi
pg_ctlcluster $cluster start 2>/dev/null || true
port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
su postgres -c "psql -q -p $port -c \"ALTER USER postgres PASSWORD 'cvm-test'\"" >/dev/null
export CVM_TEST_POSTGRES_URL="postgresql://postgres:cvm-test@127.0.0.1:$port/postgres"
export CVM_REQUIRE_POSTGRES=1
export CVM_REQUIRE_SPARK=1

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[spark,test]'

# the same BLAS kernels on every x86-64 machine with AVX2: OpenBLAS picks its kernels by the CPU
# (SkylakeX ones where there is AVX-512), and a few fits that end near a boundary (the
# identification flags, the logistic churn candidate of the stored outputs) round differently
# with them
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=Haswell
fi

# the JVMs the tests start (Spark's driver, a standalone cluster's master and workers) live for
# seconds to minutes over small tables: the client compiler alone and the serial collector spend
# about a fifth less CPU on them than the server compiler, and give the same results
export SPARK_SUBMIT_OPTS="${SPARK_SUBMIT_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
export SPARK_DAEMON_JAVA_OPTS="${SPARK_DAEMON_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"

# four workers on the two cores (the tests also wait on servers, browsers, JVMs and the commands
# they start), each test file kept on one worker: the files share their module fixtures (a demo
# run, a server) and run in their own order; the files with Spark tests together on one worker,
# in one Spark session; the slowest files first (tests/conftest.py), in the order given
python -m pytest -q -n 4 --dist loadfile --no-loadscope-reorder --durations=40 \
    --doctest-modules src tests "$@"
