// Loads the compiled addon; throws if it was not built (callers on Linux treat that as fail-closed).
module.exports = require('./build/Release/peercred.node');
