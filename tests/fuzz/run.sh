#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan + UBSan) into build-fuzz/,
# makes their seed corpora from fakeaws's answers, and runs each target for
# N seconds. Fails when any target finds a crash, a leak, a timeout or an
# out-of-memory; the input is left in build-fuzz/crashes/.
#
#   tests/fuzz/run.sh [--seconds N] [--target NAME]... [-- LIBFUZZER_FLAGS...]
#
# Corpora grow in build-fuzz/corpus/<target> across runs; the seeds are made
# afresh in build-fuzz/seeds/<target> each time (nothing is committed);
# PRICEPIPE_FUZZ_BUILD names another directory than build-fuzz/. The
# cache target's seeds include a real run's entries when build/src/cli/pricepipe
# exists (./test.sh builds it) or PRICEPIPE_BIN names one.
set -euo pipefail
source "$(dirname "$0")/../../cmake/bootstrap.sh"

seconds=30
targets=()
extra=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--seconds N] [--target NAME]... [-- LIBFUZZER_FLAGS...]" >&2; exit 2 ;;
  esac
done
all=(ec2_xml_fuzz get_products_fuzz offer_file_fuzz spot_advisor_fuzz aws_config_fuzz pipeline_yaml_fuzz cache_entry_fuzz
  record_reader_fuzz)
((${#targets[@]})) || targets=("${all[@]}")

# The dictionary of each target's input format.
declare -A dict=(
  [ec2_xml_fuzz]=ec2_xml [get_products_fuzz]=price_list [offer_file_fuzz]=price_list
  [spot_advisor_fuzz]=spot_advisor [aws_config_fuzz]=aws_config [pipeline_yaml_fuzz]=pipeline_yaml
  [cache_entry_fuzz]=cache_entry [record_reader_fuzz]=records)

fuzz_dir="$PRICEPIPE_ROOT/tests/fuzz"
build="${PRICEPIPE_FUZZ_BUILD:-$PRICEPIPE_ROOT/build-fuzz}"

if ! command -v clang++ >/dev/null || ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  pricepipe_install_packages clang libclang-rt-14-dev
fi
start=$SECONDS
CC=clang CXX=clang++ cmake -S "$PRICEPIPE_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPRICEPIPE_BUILD_FUZZ=ON -DPRICEPIPE_BUILD_TESTS=OFF >&2
cmake --build "$build" --target fuzz_targets -j "$(nproc)" >&2
echo "fuzz: built in $((SECONDS - start)) s" >&2

start=$SECONDS
rm -rf "$build/seeds"
pricepipe_bin="${PRICEPIPE_BIN:-$PRICEPIPE_ROOT/build/src/cli/pricepipe}"
seed_args=(--cache-writer "$build/tests/fuzz/cache_seed_writer")
[[ -x $pricepipe_bin ]] && seed_args+=(--pricepipe "$pricepipe_bin")
python3 "$fuzz_dir/seed.py" "$build/seeds" "${seed_args[@]}"
echo "fuzz: seeds made in $((SECONDS - start)) s" >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PRICEPIPE_ROOT/tests/sanitizers/ubsan.supp}"
mkdir -p "$build/crashes"
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  log="$build/$t.log"
  echo "fuzz: $t for ${seconds}s" >&2
  status=0
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$fuzz_dir/dict/${dict[$t]}.dict" -artifact_prefix="$build/crashes/$t-" -print_final_stats=1 \
    "${extra[@]}" "$corpus" "$build/seeds/$t" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  if ((status != 0)); then
    failed+=("$t")
    tail -n 60 "$log" >&2
    summary+=("$(printf '%-20s FAILED (exit %d): see %s and %s/crashes/%s-*' "$t" "$status" "$log" "$build" "$t")")
  else
    summary+=("$(printf '%-20s %10s runs %8s exec/s  corpus %5s files' "$t" "${runs:-?}" "${rate:-?}" "$files")")
  fi
done
printf 'fuzz: %s\n' "${summary[@]}" >&2
if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]}; reproduce with $build/tests/fuzz/TARGET $build/crashes/TARGET-..." >&2
  exit 1
fi
