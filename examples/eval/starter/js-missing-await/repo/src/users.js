// User lookups over a (fake) asynchronous store.
const store = new Map([[1, { name: 'Ada' }], [2, { name: 'Grace' }]]);

async function fetchUser(id) {
  await new Promise((r) => setTimeout(r, 5));
  const user = store.get(id);
  if (!user) throw new Error(`no user ${id}`);
  return user;
}

async function userName(id) {
  const user = fetchUser(id);
  return user.name;
}

module.exports = { fetchUser, userName };
