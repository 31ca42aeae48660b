#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME (default 3s) each.
# go test -fuzz takes one target per run, so we list them first.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
status=0
while IFS=: read -r file name; do
  pkg="./$(dirname "$file")"
  echo "== $pkg $name ($fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
    status=1
  fi
done < <(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sed -E 's/^\.\///; s/func //' | sort -u)
exit $status
