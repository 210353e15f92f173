// The client side of bench/egress.ts's `spawned` figures: the loopback server with the 10 MB body and the HTTP client
// that downloads it, in a process of their own (a sandbox's client never shares the kernel's event loop); timed here.
import * as http from 'node:http';
import * as net from 'node:net';

const SIZE = Number(process.argv[2]);
const body = Buffer.alloc(SIZE, 120);
const server = http.createServer((_q, r) => {
  r.setHeader('content-length', SIZE);
  r.end(body);
});

/** A new tunnel through the proxy socket at `sock` to this server. */
function tunnel(sock, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!head.startsWith('HTTP/1.1 200')) return reject(new Error(`proxy refused: ${head.split('\r\n')[0]}`));
      resolve(s);
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(`CONNECT bench.test:${port} HTTP/1.1\r\nHost: bench.test:${port}\r\n\r\n`);
  });
}

/** One GET of the body over a new connection: direct, or a new tunnel (checked to have carried every byte). */
function download(port, sock) {
  return new Promise((resolve, reject) => {
    let via;
    const agent = new http.Agent({ keepAlive: false });
    // Returns nothing: the agent takes a returned value for the socket; the tunnel comes through `cb`.
    if (sock)
      agent.createConnection = (_o, cb) => {
        tunnel(sock, port).then((s) => cb(null, (via = s)), cb);
      };
    const q = http.get({ host: '127.0.0.1', port, path: '/big', agent }, (r) => {
      let got = 0;
      r.on('data', (d) => (got += d.length));
      r.on('end', () => {
        if (got !== SIZE) return reject(new Error(`got ${got} of ${SIZE} bytes`));
        if (sock && (!via || via.bytesRead < SIZE)) return reject(new Error('the bytes did not come through the tunnel'));
        resolve();
      });
    });
    q.on('error', reject);
  });
}

process.on('message', (m) => {
  if (m.type === 'close') {
    server.close();
    process.disconnect();
    return;
  }
  globalThis.gc?.();
  const port = server.address().port;
  const t = performance.now();
  download(port, m.sock).then(
    () => process.send({ ms: performance.now() - t }),
    (e) => process.send({ error: e.message }),
  );
});
// The bench is gone (it exited or was killed): so is this process.
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
