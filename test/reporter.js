// Mocha reporter: the spec output, plus one summary line per run appended to $AIRLOCK_TEST_SUMMARY.
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on('fail', (test) => failures.push(test.fullTitle()));
    runner.once('end', () => {
      const file = process.env.AIRLOCK_TEST_SUMMARY;
      if (!file) return;
      const s = runner.stats;
      fs.appendFileSync(
        file,
        JSON.stringify({
          tier: process.env.AIRLOCK_TEST_TIER ?? 'tests',
          passed: s.passes,
          failed: s.failures,
          pending: s.pending,
          failures,
        }) + '\n',
      );
    });
  }
}
module.exports = SummaryReporter;
