#!/bin/sh
# Lists the public symbols of the modules a client of the `Strata` product sees (Strata
# and the modules it re-exports) and compares them with API/public-symbols.txt, so an
# accidental API change fails the tests. After an intended change: scripts/check-api.sh --update
set -eu
cd "$(dirname "$0")/.."
swift package dump-symbol-graph --minimum-access-level public >/dev/null
dir=$(find .build -type d -name symbolgraph | head -n 1)
current=$(mktemp)
python3 scripts/list-public-symbols.py "$dir" Strata StrataCore StrataContainer > "$current"
if [ "${1:-}" = "--update" ]; then
    cp "$current" API/public-symbols.txt
    echo "API/public-symbols.txt updated ($(wc -l < API/public-symbols.txt) symbols)"
elif ! diff -u API/public-symbols.txt "$current"; then
    echo "the public API changed (lines above: - removed, + added); if intended, run scripts/check-api.sh --update" >&2
    exit 1
else
    echo "public API unchanged ($(wc -l < "$current") symbols)"
fi
rm -f "$current"
