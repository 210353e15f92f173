// range(start, end, step): the numbers from start up to, but not including, end.
function range(start, end, step = 1) {
  const out = [];
  for (let i = start; i < end - 1; i += step) out.push(i);
  return out;
}

module.exports = { range };
