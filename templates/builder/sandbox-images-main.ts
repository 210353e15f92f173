// `npm run images [docker|podman]` in a checkout (and scripts/setup.sh): builds the sandbox images for one engine.
// A script of its own: a `require.main === module` block in a bundled module runs whenever the bundle is the main
// script (dist/cli.js), so the library (sandbox-images.ts) has none.
import { ensureSandboxImages } from './sandbox-images';

const engine = (process.argv[2] ?? process.env.AIRLOCK_ENGINE ?? 'docker') as 'docker' | 'podman';
// A normal user's Podman is their rootless service (its images live in their own storage).
const rootless =
  (process.getuid?.() ?? 0) !== 0 && process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/podman/podman.sock` : undefined;
const socketPath =
  process.env.AIRLOCK_ENGINE_SOCKET ?? (engine === 'podman' ? (rootless ?? '/run/podman/podman.sock') : '/var/run/docker.sock');
const t0 = Date.now();
ensureSandboxImages({ engine, socketPath, onProgress: (l) => console.log(l) })
  .then((m) => {
    for (const [k, v] of m) console.log(`${k}: ${v}`);
    console.log(`sandbox images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
