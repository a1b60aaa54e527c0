#!/bin/sh
# The test command: the package's tests, then the example package that uses Strata
# from outside (when present).
set -eu
cd "$(dirname "$0")/.."
swift build
swift test
if [ -f Examples/EncodeDecode/Package.swift ]; then
    swift run --package-path Examples/EncodeDecode
fi
