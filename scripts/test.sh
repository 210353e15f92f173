#!/usr/bin/env bash
# `npm test`: installs what the tests need, then build, type check, layer lint, ESLint, the format check and the three mocha tiers,
# ending with one summary line of passed and failed tests. Set AIRLOCK_TIERS="unit integration" to run fewer tiers.
set -uo pipefail
cd "$(dirname "$0")/.."
tiers=${AIRLOCK_TIERS:-"unit integration e2e"}
summary=$(mktemp)
export AIRLOCK_TEST_SUMMARY=$summary
status=0
step() { local name=$1; shift; local t0=$SECONDS; echo "== $name"; if "$@"; then echo "== $name ok ($((SECONDS - t0)) s)"; else echo "== $name FAILED ($((SECONDS - t0)) s)"; status=1; echo "{\"tier\":\"$name\",\"passed\":0,\"failed\":1,\"pending\":0,\"failures\":[\"$name\"]}" >> "$summary"; fi; }

step setup bash scripts/setup.sh test || true
if [ $status -ne 0 ]; then echo "TESTS: setup failed; nothing ran"; exit 1; fi
step build node scripts/build.mjs
step typecheck npx tsc --noEmit -p .
step lint node scripts/lint-layers.mjs
step eslint node scripts/lint-code.mjs
step format node scripts/format.mjs --check
# The README's first command, as a new user runs it: a fresh clone at a path with a space, as a non-root user.
[ -z "${AIRLOCK_SKIP_NPM_START:-}" ] && step npm-start bash scripts/ci-npm-start.sh

timeout_for() { case $1 in unit) echo 20000;; integration) echo 180000;; e2e) echo 600000;; esac; }
for tier in $tiers; do
  files=$(find "test/$tier" -name '*.test.ts' 2>/dev/null | sort)
  [ -z "$files" ] && continue
  echo "== $tier tests"
  AIRLOCK_TEST_TIER=$tier npx mocha --config .mocharc.json --reporter test/reporter.js --exit --timeout "$(timeout_for "$tier")" $files || status=1
done

node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
const sum = (k) => lines.reduce((a, l) => a + l[k], 0);
const per = lines.map((l) => `${l.tier} ${l.passed}/${l.passed + l.failed}`).join(", ");
for (const l of lines) for (const f of l.failures) console.log(`  failed: [${l.tier}] ${f}`);
console.log(`TESTS: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("pending")} pending (${per})`);
' "$summary"
rm -f "$summary"
exit $status
