#!/bin/sh
# The test command: the package's tests (optimised, since the codec tests push real
# pixels; -enable-testing keeps @testable imports working), then the example package
# that uses Strata from outside.
set -eu
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing
if [ -f Examples/EncodeDecode/Package.swift ]; then
    swift run --package-path Examples/EncodeDecode
fi
