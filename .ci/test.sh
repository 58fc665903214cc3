#!/usr/bin/env bash
# The test harness behind `make test` (and `make sanity|units|integration|lint|build`).
#
#   .ci/test.sh [STAGE...]      STAGE: ruff sanity units integration lint extra, a stage of the ansible-core
#                               matrix (sanity-2.16 units-2.16 integration-2.16 integration-2.17 ... or `matrix`
#                               for all of them), or the name of one extra stage (e.g. 50-build).
#                               Default: all. Also CLOUDCERT_STAGES="...".
#
# It bootstraps the tool venv (.ci/lib.sh), copies the checkout to a temp dir laid out as
# ansible_collections/NS/NAME (ansible-test needs that), runs every selected stage even if an earlier
# one failed, prints a stage table and ends with ONE line "N passed, M failed". N/M count unit test cases
# (junit), integration targets, and 1 per other stage. It exits non-zero if anything failed or if the
# units stage ran zero tests.
#
# The plain stages run the tool venv's ansible-core (the newest). The matrix stages (CC_MATRIX in .ci/lib.sh) run
# an older ansible-core from its own pinned venv, created on first use inside the stage (so its time and any
# failure are the stage's): sanity-X.Y, units-X.Y as their plain namesakes; integration-X.Y runs only the module
# and lookup targets (MATRIX_TARGETS below), since the others test nothing that differs between versions.
#
# Knobs: CLOUDCERT_SANITY_ARGS / CLOUDCERT_UNITS_ARGS / CLOUDCERT_INTEGRATION_ARGS (extra ansible-test
# arguments, e.g. "--python 3.12"), CLOUDCERT_MATRIX_SANITY_ARGS and CLOUDCERT_MATRIX_UNITS_ARGS (default
# "--python <the row's Python>", e.g. 3.11 for 2.16: compile/import and the unit tests on that Python only, not on
# each one, which would cost about 10 more minutes cold; "" for all), CLOUDCERT_MATRIX_INTEGRATION_ARGS,
# CLOUDCERT_MATRIX_TARGETS (default "ssl_certificate_info lookup_ssl_certificate", or a row's own list; set, it
# applies to every row),
# CLOUDCERT_VERBOSE=1 (stream stage output), CLOUDCERT_KEEP_WORK=1, CLOUDCERT_STAGE_TIMEOUT (seconds a stage may
# take before it is stopped and failed, default 1200), plus the knobs of .ci/lib.sh.
set -uo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MATRIX_TARGETS="${CLOUDCERT_MATRIX_TARGETS:-ssl_certificate_info lookup_ssl_certificate}"
declare -a MATRIX_STAGES=() STAGES=() TABLE=()
for row in "${CC_MATRIX[@]}"; do
  read -r version _ row_stages <<<"$row"
  for s in $row_stages; do MATRIX_STAGES+=("${s%%=*}-$version"); done
done
unset row version row_stages s
ALL_STAGES=(ruff sanity units integration lint "${MATRIX_STAGES[@]}" extra)
PASSED=0
FAILED=0
UNIT_TESTS=-1 # -1: units stage not selected

select_stages() {
  local s
  # shellcheck disable=SC2086  # word splitting of the env var is the point
  [ "$#" -gt 0 ] || set -- ${CLOUDCERT_STAGES:-${ALL_STAGES[*]}}
  for s in "$@"; do
    [ "$s" != build ] || s=extra # `make build` runs the extra stages
    if [ "$s" = matrix ]; then
      STAGES+=("${MATRIX_STAGES[@]}")
      continue
    fi
    case " ${ALL_STAGES[*]} " in
      *" $s "*) STAGES+=("$s") ;;
      *)
        if [ -e "$CC_REPO/.ci/stages/$s.sh" ]; then
          STAGES+=("$s")
        else
          cc_die "unknown stage '$s' (known: ${ALL_STAGES[*]} matrix, or an extra stage name)"
        fi
        ;;
    esac
  done
}

wants() { case " ${STAGES[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

# Run one stage: output goes to $WORK/logs/NAME.log; on success only warnings and the last line are shown,
# on failure the whole (de-noised) log is printed so CI logs keep the evidence. Returns the stage's rc.
#
# A stage gets at most CLOUDCERT_STAGE_TIMEOUT seconds (default 1200; the slowest stage takes about 350): one
# that hangs is stopped and fails with its log, instead of using up the CI job's time and leaving no evidence.
# It runs as its own process group (job control on while it starts), so the watchdog stops all of it.
run_logged() {
  local name="$1" log="$WORK/logs/$1.log" t0=$SECONDS rc limit="${CLOUDCERT_STAGE_TIMEOUT:-1200}" watchdog
  shift
  cc_log "stage $name: $*"
  set -m
  if [ "${CLOUDCERT_VERBOSE:-0}" = 1 ]; then
    ( (cd "$COLL" && "$@") </dev/null 2>&1 | tee "$log"; exit "${PIPESTATUS[0]}") &
  else
    (cd "$COLL" && "$@") </dev/null >"$log" 2>&1 &
  fi
  STAGE_PID=$!
  (
    sleep "$limit"
    printf '\n*** stage %s stopped: still running after %ss (CLOUDCERT_STAGE_TIMEOUT)\n' "$name" "$limit" | tee -a "$log"
    kill -TERM -- "-$STAGE_PID"
    sleep 30
    kill -KILL -- "-$STAGE_PID"
  ) </dev/null 2>/dev/null &
  watchdog=$!
  set +m
  wait "$STAGE_PID"
  rc=$?
  kill -TERM -- "-$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  STAGE_PID=""
  STAGE_SECONDS=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    denoise <"$log" | grep -E '^(WARNING|Skipping)' | sort -u | head -n 40
    denoise <"$log" | tail -n 1
  elif [ "${CLOUDCERT_VERBOSE:-0}" != 1 ]; then
    printf -- '--- %s FAILED (rc=%s), full output:\n' "$name" "$rc"
    denoise <"$log"
    printf -- '--- end of %s output\n' "$name"
  fi
  return "$rc"
}

# pip's warnings about this machine's missing file:// indexes, ansible-test's locale notice and its
# end-of-run repetition of warnings say nothing about the collection.
denoise() { grep -v -e 'is ignored' -e 'Using locale "C.UTF-8"' -e 'Reviewing previous [0-9]* warning' || true; }

# Record a row of the stage table and add to the totals.
record() { # record NAME PASSED FAILED SECONDS [NOTE]
  PASSED=$((PASSED + $2))
  FAILED=$((FAILED + $3))
  TABLE+=("$(printf '%-20s %-4s %6s %6s %5ss  %s' "$1" "$([ "$3" -eq 0 ] && echo ok || echo FAIL)" "$2" "$3" "$4" "${5:-}")")
}

# A plain pass/fail stage counts as one.
simple_stage() {
  local name="$1" rc
  shift
  run_logged "$name" "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then record "$name" 1 0 "$STAGE_SECONDS"; else record "$name" 0 1 "$STAGE_SECONDS" "rc=$rc"; fi
}

ruff_both() {
  local rc=0
  ruff check --output-format concise . || rc=1
  ruff format --check . || rc=1
  return "$rc"
}

# core VERSION COMMAND...: run COMMAND with the venv of ansible-core VERSION of the matrix first on PATH,
# creating it on first use; VERSION "" runs COMMAND with the tool venv.
core() {
  local version="$1"
  shift
  [ -n "$version" ] || {
    "$@"
    return
  }
  cc_matrix_venv "$version"
  PATH="$CC_PINNED_VENV/bin:$PATH" VIRTUAL_ENV="$CC_PINNED_VENV" "$@"
}

stage_units() { # stage_units NAME VERSION EXTRA_ARGS
  local name="$1" version="$2" rc counts t f s
  # results of an earlier units stage (another ansible-core) in the same copy must not be counted again
  rm -f "$COLL"/tests/output/junit/*-units.xml
  # shellcheck disable=SC2086
  run_logged "$name" core "$version" ansible-test units --venv --color no $3
  rc=$?
  counts="$(junit_counts "$COLL/tests/output/junit")"
  read -r t f s <<<"$counts"
  t=${t:-0} f=${f:-0} s=${s:-0}
  UNIT_TESTS=$((UNIT_TESTS < 0 ? t : UNIT_TESTS + t))
  local note="$t tests, $s skipped"
  # A crash before pytest reported anything must still count as a failure.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1 note="$note, rc=$rc without failing test cases"; fi
  # ansible-test stops at the first Python whose tests fail, so later Pythons are not counted then.
  if [ "$rc" -ne 0 ]; then note="$note (Pythons after the failing one not run)"; fi
  # zero collected tests is a failure of the suite, not a pass (pytest itself would exit 5)
  if [ "$t" -eq 0 ] && [ "$f" -eq 0 ]; then f=1 note="$note, NO UNIT TESTS RAN"; fi
  record "$name" "$((t - s - (f > t ? t : f)))" "$f" "$STAGE_SECONDS" "$note"
}

# Print "tests failures+errors skipped" summed over ansible-test's units junit files.
junit_counts() {
  python - "$1" <<'EOF'
import glob, os, sys
import xml.etree.ElementTree as ET
t = f = s = 0
for path in glob.glob(os.path.join(sys.argv[1], "*-units.xml")):
    root = ET.parse(path).getroot()
    for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
        t += int(suite.get("tests", 0))
        f += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        s += int(suite.get("skipped", 0))
print(t, f, s)
EOF
}

# Integration counts one per target. The target list comes from ansible-test itself (aliases such as
# disabled/unsupported applied); the passed ones from the results JSON it writes to tests/output/data.
stage_integration() { # stage_integration NAME VERSION EXTRA_ARGS_AND_TARGETS
  local name="$1" version="$2" rc targets passed t np=0 nf=0 failed_names=""
  if [ ! -d "$COLL/tests/integration/targets" ]; then
    record "$name" 0 0 0 "no tests/integration/targets"
    return 0
  fi
  rm -f "$COLL"/tests/output/data/integration-*.json
  # shellcheck disable=SC2086
  run_logged "$name" core "$version" ansible-test integration --local --color no --continue-on-error $3
  rc=$?
  # listed after the run: a matrix venv exists only once the stage has created it
  # shellcheck disable=SC2086
  targets="$(cd "$COLL" && core "$version" ansible-test integration --list-targets --color no $3 2>/dev/null </dev/null)"
  passed="$(python - "$COLL/tests/output/data" <<'EOF'
import glob, json, os, sys
for path in glob.glob(os.path.join(sys.argv[1], "integration-*.json")):
    with open(path) as fh:
        print("\n".join(json.load(fh).get("targets", {})))
EOF
  )"
  for t in $targets; do
    if grep -qxF "$t" <<<"$passed"; then np=$((np + 1)); else nf=$((nf + 1)) failed_names="$failed_names $t"; fi
  done
  local note="$((np + nf)) targets${failed_names:+, failed:$failed_names}"
  if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then nf=1 note="$note, rc=$rc"; fi
  record "$name" "$np" "$nf" "$STAGE_SECONDS" "$note"
}

# The ansible-core matrix, in CC_MATRIX's order.
stage_matrix() {
  local row version python stages token s targets sanity_args units_args
  for row in "${CC_MATRIX[@]}"; do
    read -r version python stages <<<"$row"
    sanity_args="${CLOUDCERT_MATRIX_SANITY_ARGS-"--python $python"}"
    units_args="${CLOUDCERT_MATRIX_UNITS_ARGS-"--python $python"}"
    for token in $stages; do
      s="${token%%=*}"
      targets="$MATRIX_TARGETS"
      case "$token" in *=*) [ -n "${CLOUDCERT_MATRIX_TARGETS:-}" ] || targets="${token#*=}" targets="${targets//,/ }" ;; esac
      wants "$s-$version" || continue
      # shellcheck disable=SC2086  # the *_ARGS knobs are word lists
      case "$s" in
        sanity) simple_stage "$s-$version" core "$version" ansible-test sanity --venv --color no $sanity_args ;;
        units) stage_units "$s-$version" "$version" "$units_args" ;;
        integration) stage_integration "$s-$version" "$version" "${CLOUDCERT_MATRIX_INTEGRATION_ARGS:-} $targets" ;;
        *) cc_die "CC_MATRIX: unknown stage '$s' for ansible-core $version" ;;
      esac
    done
  done
}

# Extra stages: every executable .ci/stages/NN-name.sh of the laid-out copy, with the venv active.
stage_extras() {
  local f name
  for f in "$COLL"/.ci/stages/[0-9][0-9]-*.sh; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .sh)"
    wants extra || wants "$name" || continue
    if [ -x "$f" ]; then
      simple_stage "$name" "$f"
    else
      # A lost executable bit would silently drop the stage: make it loud instead.
      echo "stage $name: $f is not executable (chmod +x, and commit the mode)"
      record "$name" 0 1 0 "not executable"
    fi
  done
}

main() {
  select_stages "$@"
  cc_bootstrap
  case " ${STAGES[*]}" in *" sanity"*) cc_ensure_shellcheck ;; esac
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/cloudcert-tencent.XXXXXX")"
  export WORK
  trap '[ "${CLOUDCERT_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"' EXIT
  # A stage is its own process group (run_logged), out of reach of the terminal's Ctrl-C: pass it on.
  trap '[ -z "${STAGE_PID:-}" ] || kill -TERM -- "-$STAGE_PID" 2>/dev/null; exit 130' INT TERM
  mkdir -p "$WORK/logs"
  cc_layout "$WORK"
  # keep ruff's cache out of the copy: ansible-test would sanity-check it (no .git to ignore it)
  export RUFF_CACHE_DIR="$WORK/ruff-cache"
  cc_log "collection laid out at $COLL ($(find "$COLL" -type f | wc -l) files); stages: ${STAGES[*]}"

  if wants ruff; then simple_stage ruff ruff_both; fi
  # shellcheck disable=SC2086
  if wants sanity; then simple_stage sanity ansible-test sanity --venv --color no ${CLOUDCERT_SANITY_ARGS:-}; fi
  if wants units; then stage_units units "" "${CLOUDCERT_UNITS_ARGS:-}"; fi
  if wants integration; then stage_integration integration "" "${CLOUDCERT_INTEGRATION_ARGS:-}"; fi
  if wants lint; then NO_COLOR=1 simple_stage lint ansible-lint --offline --profile production --exclude tests/output/ --exclude .ansible/; fi
  stage_matrix
  stage_extras

  [ "${CLOUDCERT_KEEP_WORK:-0}" != 1 ] || cc_log "work dir kept: $WORK"
  cc_log "summary (total $((SECONDS - CC_START))s)"
  printf '  %-20s %-4s %6s %6s %6s  %s\n' stage ok passed failed time note
  printf '  %s\n' "${TABLE[@]}"
  local rc=0
  [ "$FAILED" -eq 0 ] || rc=1
  if [ "$UNIT_TESTS" -eq 0 ]; then
    echo "ci: the units stage ran zero tests"
    rc=1
  fi
  echo "$PASSED passed, $FAILED failed"
  return "$rc"
}

main "$@"
