#!/bin/sh
# The test command: builds everything (the interrupted-encode tests run the built `strata`),
# runs the package's tests, then the example package that uses Strata from outside.
set -eu
cd "$(dirname "$0")/.."
swift build
swift test
if [ -f Examples/EncodeDecode/Package.swift ]; then
    swift run --package-path Examples/EncodeDecode
fi
