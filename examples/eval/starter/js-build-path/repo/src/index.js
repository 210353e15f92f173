// Public API.
const { capitalize } = require('./utils/strings');

function shout(s) {
  return `${s.toUpperCase()}!`;
}

module.exports = { capitalize, shout };
