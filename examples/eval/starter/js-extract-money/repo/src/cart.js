// Cart lines and totals as text.
function lineText(item) {
  return `${item.qty} x ${item.name} @ $${(item.cents / 100).toFixed(2)}`;
}

function totalText(items) {
  const cents = items.reduce((s, i) => s + i.qty * i.cents, 0);
  return `total $${(cents / 100).toFixed(2)}`;
}

module.exports = { lineText, totalText };
