// parseDuration("1h30m") -> milliseconds.
function parseDuration(text) {
  throw new Error('not implemented');
}

module.exports = { parseDuration };
