#!/usr/bin/env bash
# Runs every test file under test/ with node's own test runner (TypeScript through tsx).
# Usage: npm test [-- FILE...]   (default: all test/**/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
# The paper's published files (backgrounds, hand-labelled masks): from the local copy beside the
# checkout when there is one, for the tests (test/helpers/sharedData.ts) and the workers they start
# (activities/paperData.ts); without one the workers download them and the tests that read the
# files directly are skipped.
if [ -z "${BGBIAS_PAPER_DATA_DIR:-}" ] && [ -d ../shared/data ]; then
  BGBIAS_PAPER_DATA_DIR="$(cd ../shared/data && pwd)"
  export BGBIAS_PAPER_DATA_DIR
fi
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
