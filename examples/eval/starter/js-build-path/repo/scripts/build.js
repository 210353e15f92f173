// A tiny bundler: follows require('./...') from src/index.js and writes one file (default: $TMPDIR/bundle.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const out = process.argv[2] || path.join(os.tmpdir(), 'bundle.js');
const modules = new Map();

function add(file) {
  if (modules.has(file)) return;
  const src = fs.readFileSync(file, 'utf8');
  modules.set(file, src);
  for (const m of src.matchAll(/require\('(\.[^']+)'\)/g)) {
    const dep = require.resolve(path.resolve(path.dirname(file), m[1]));
    add(dep);
  }
}

try {
  add(path.resolve(__dirname, '..', 'src', 'index.js'));
} catch (err) {
  console.error(`build failed: ${err.message.split('\n')[0]}`);
  process.exit(1);
}
const body = [...modules].map(([f, src]) => `${JSON.stringify(f)}: function (module, exports, require) {\n${src}\n}`).join(',\n');
fs.writeFileSync(out, `const defs = {\n${body}\n};\nconst cache = {};\nfunction load(f) {\n  if (!cache[f]) { const module = { exports: {} }; cache[f] = module;\n    defs[f](module, module.exports, (p) => load(require('path').resolve(require('path').dirname(f), p) + (p.endsWith('.js') ? '' : '.js'))); }\n  return cache[f].exports;\n}\nmodule.exports = load(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'index.js'))});\n`);
console.log(`built ${out} from ${modules.size} modules`);
