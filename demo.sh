#!/usr/bin/env bash
# Fresh machine → the main job running against the bundled local AWS
# endpoint (tests/fakeaws), no AWS account needed. Records go to stdout (to
# demo-output/ when stdout is a terminal); the summary goes to stderr.
set -euo pipefail
source "$(dirname "$0")/cmake/bootstrap.sh"
pricepipe_install_packages
pricepipe_build -DPRICEPIPE_BUILD_TESTS=OFF

work="$(mktemp -d)"
trap 'kill "$fakeaws_pid" 2>/dev/null || true; wait "$fakeaws_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 "$PRICEPIPE_ROOT/tests/fakeaws/fakeaws.py" --host 127.0.0.1 --port 0 --port-file "$work/port" \
  2> "$work/fakeaws.log" &
fakeaws_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || { cat "$work/fakeaws.log" >&2; echo "demo: fakeaws did not start" >&2; exit 1; }

echo "demo: DEMO DATA — served by tests/fakeaws on 127.0.0.1, built from public AWS data; not live AWS prices or availability" >&2
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")"
export AWS_ACCESS_KEY_ID=AKIDFAKEAWS AWS_SECRET_ACCESS_KEY=fakeaws-secret-key AWS_EC2_METADATA_DISABLED=true
# The bulk Price List and the Spot Instance Advisor feed come from fakeaws too.
export PRICEPIPE_PRICE_LIST_URL="$AWS_ENDPOINT_URL" PRICEPIPE_SPOT_ADVISOR_URL="$AWS_ENDPOINT_URL/spot-advisor-data.json"
# fakeaws listens on a new port each time, so its answers are cached only for this demo.
export PRICEPIPE_CACHE_DIR="$work/cache"
# The demo job is a pipeline file: the all-regions catalog to stdout.
job=("$PRICEPIPE_BUILD/src/cli/pricepipe" run "$PRICEPIPE_ROOT/pipelines/catalog.yaml")
if [[ -t 1 ]]; then
  mkdir -p "$PRICEPIPE_ROOT/demo-output"
  out="$PRICEPIPE_ROOT/demo-output/catalog.ndjson"
  "${job[@]}" > "$out"
  echo "demo: $(wc -l < "$out") records in $out; the first one:" >&2
  head -n 1 "$out"
else
  "${job[@]}"
fi
echo "demo: that was DEMO DATA from tests/fakeaws, not AWS" >&2
