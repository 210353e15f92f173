// Formats a one-line summary of response times for the daily report.
const { mean, median } = require('./stats');

function summary(times) {
  return `n=${times.length} mean=${mean(times).toFixed(1)} median=${median(times)}`;
}

module.exports = { summary };
