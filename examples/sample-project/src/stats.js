// Small statistics helpers used by the report generator.

/** Arithmetic mean of a list of numbers. */
function mean(values) {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Middle value of a list of numbers (the mean of the two middle values for an even count). */
function median(values) {
  const sorted = [...values].sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

module.exports = { mean, median };
