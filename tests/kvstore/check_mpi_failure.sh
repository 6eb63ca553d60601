#!/usr/bin/env bash
# Runs mpi_failure under mpirun and checks the job ends, in time, with the messages that name the failed rank.
#   check_mpi_failure.sh MODE PROGRAM MPIRUN [MPIRUN ARGS...]
set -uo pipefail
mode=$1 program=$2
shift 2
start=$(date +%s)
output=$(MX_KVSTORE_TIMEOUT=2 timeout 60 "$@" "$program" "$mode" 2>&1)
status=$?
elapsed=$(( $(date +%s) - start ))
echo "$output"
echo "exit status $status after ${elapsed} s"
fail() { echo "FAILED: $*"; exit 1; }
[[ $status -ne 0 ]] || fail "the job reported success"
[[ $status -ne 124 ]] || fail "the job hung until timeout(1) stopped it"
(( elapsed <= 20 )) || fail "the job took ${elapsed} s to end"
case $mode in
  throw)
    grep -q "mxpp (rank 1 of 2) failed: injected failure at step 3" <<<"$output" || fail "no message from rank 1"
    grep -q "mxpp (rank 0 of 2): stopped by mpirun" <<<"$output" || fail "no message from rank 0" ;;
  hang)
    grep -q "mxpp (rank 0 of 2): waited [0-9]* s in the all-reduce of key 0 for the other ranks" <<<"$output" \
      || fail "no timeout message from rank 0" ;;
esac
grep -q "which it should not have" <<<"$output" && fail "a rank finished"
echo "ok"
