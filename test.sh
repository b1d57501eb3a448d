#!/usr/bin/env bash
# Fresh machine → installed, built and tested: every GoogleTest suite, the
# fakeaws fidelity test (boto3), the moto interop test, the table schemas
# against jsonschema, DuckDB (npm) and PostgreSQL, and loads into PostgreSQL,
# ClickHouse and SQLite, and the shared cache tier against Redis.
set -euo pipefail
source "$(dirname "$0")/cmake/bootstrap.sh"
# tests/readers and tests/warehouse load into temporary PostgreSQL and ClickHouse servers and SQLite files;
# tests/terminal watches the progress line in tmux; the shared cache tier's tests start redis-server
pricepipe_install_packages postgresql clickhouse-server sqlite3 tmux redis-server
pricepipe_build -DPRICEPIPE_BUILD_TESTS=ON
cd "$PRICEPIPE_BUILD"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
