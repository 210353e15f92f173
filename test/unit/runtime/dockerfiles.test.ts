// templates/docker/*.Dockerfile (for people with a registry) match the offline builders: files, labels, users, layout.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelImageSpec } from '../../../templates/builder/kernel-image';
import { IMAGE_FOR_LABEL } from '../../../kernel/src/runtime/types';

const ROOT = path.resolve(__dirname, '../../..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!cur && (!line || line.startsWith('#'))) continue;
    cur += (cur ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(cur);
    assert.ok(m, `not an instruction: ${cur}`);
    out.push({ op: m[1].toUpperCase(), args: m[2] });
    cur = '';
  }
  return out;
}

function dockerfile(name: string) {
  const ins = parseDockerfile(read(`templates/docker/${name}.Dockerfile`));
  const all = (op: string) => ins.filter((i) => i.op === op).map((i) => i.args);
  const labels = new Map(all('LABEL').flatMap((a) => a.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
  const run = all('RUN').join(' && ');
  return { ins, all, labels, run };
}

/** Dockerfile-style `changes` (LABEL a=b c=d, ENV, WORKDIR, CMD) as the offline builder applies them. */
function changeLabels(changes: string[]): Map<string, string> {
  return new Map(
    changes
      .filter((c) => c.startsWith('LABEL '))
      .flatMap((c) =>
        c
          .slice(6)
          .split(/\s+/)
          .map((kv) => kv.split('=') as [string, string]),
      ),
  );
}

describe('registry Dockerfiles agree with the offline image builders', () => {
  for (const name of ['kernel', 'sandbox-node', 'code-executor']) {
    it(`${name}.Dockerfile parses, builds FROM \${BASE} (default node:20-bookworm-slim) and puts node at /usr/bin/node`, () => {
      const d = dockerfile(name);
      // The base comes from a registry the person configures (--build-arg BASE=...@sha256:...); Docker Hub's by default.
      assert.deepEqual(d.ins.slice(0, 2), [
        { op: 'ARG', args: 'BASE=node:20-bookworm-slim' },
        { op: 'FROM', args: '${BASE}' },
      ]);
      assert.equal(d.all('FROM').length, 1);
      assert.match(d.run, /node=\$\(command -v node\); \[ "\$node" = \/usr\/bin\/node \] \|\| ln -sf "\$node" \/usr\/bin\/node/);
      assert.equal(d.labels.get('airlock.owner'), 'airlock');
      assert.equal(d.all('USER').length, 0, 'the user comes from the template or bootstrap, as with the offline images');
    });
  }

  it('kernel: the same files at the same places, the same labels, workdir and command as kernelImageSpec', () => {
    const spec = kernelImageSpec(); // needs `npm run build` (dist/kernel), as the offline build does
    assert.ok(Object.keys(spec.files).includes('/opt/airlock/dist/node_modules/better-sqlite3'));
    assert.ok(!Object.keys(spec.files).some((f) => f.includes('@napi-rs')), "the CLI's keychain binding stays out of the kernel image");
    const d = dockerfile('kernel');
    const copies = new Map(
      d.all('COPY').map((a) => {
        const [src, dest] = a.split(/\s+/);
        return [dest, src];
      }),
    );
    assert.deepEqual([...copies.keys()].sort(), Object.keys(spec.files).sort());
    for (const [dest, src] of copies) {
      assert.equal(path.resolve(ROOT, src), path.resolve(spec.files[dest]), dest);
      assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists in the build context`);
    }
    assert.deepEqual(d.labels, changeLabels(spec.changes ?? []));
    assert.deepEqual(
      d.all('WORKDIR'),
      (spec.changes ?? []).filter((c) => c.startsWith('WORKDIR ')).map((c) => c.slice(8)),
    );
    assert.deepEqual(
      d.all('CMD'),
      (spec.changes ?? []).filter((c) => c.startsWith('CMD ')).map((c) => c.slice(4)),
    );
  });

  it('sandbox-node: tini, HOME/WORKDIR, the image-for label and the uid-1000 `sandbox` user of the node recipe', () => {
    const builder = read('templates/builder/sandbox-images.ts');
    const recipe = /case 'node':[\s\S]*?changes: \[([^\]]*)\]/.exec(builder)?.[1];
    assert.ok(recipe, "the node recipe's changes are found in sandbox-images.ts");
    const changes = [...recipe.matchAll(/['`]([^'`]+)['`]/g)].map((m) => m[1].replace('${IMAGE_FOR_LABEL}', IMAGE_FOR_LABEL));
    const d = dockerfile('sandbox-node');
    assert.deepEqual(d.labels, changeLabels(changes));
    assert.equal(d.labels.get(IMAGE_FOR_LABEL), 'node');
    assert.deepEqual(
      d.all('ENV'),
      changes.filter((c) => c.startsWith('ENV ')).map((c) => c.slice(4)),
    );
    assert.deepEqual(
      d.all('WORKDIR'),
      changes.filter((c) => c.startsWith('WORKDIR ')).map((c) => c.slice(8)),
    );
    assert.match(builder, /'\/usr\/bin\/tini'/);
    assert.match(d.run, /command -v tini >\/dev\/null \|\| \{ apt-get update && apt-get install -y --no-install-recommends tini/); // Debian's tini is /usr/bin/tini
    const passwd = /sandbox:x:(\d+):(\d+):sandbox:(\/\w+):/.exec(read('templates/builder/node-rootfs.ts'));
    assert.deepEqual(passwd?.slice(1), ['1000', '1000', '/tmp']);
    // A base's existing uid-1000 user (node:20's `node`) is renamed; otherwise one is made.
    assert.match(
      d.run,
      /groupmod -n sandbox "\$g"; usermod -l sandbox -d \/tmp -s \/sbin\/nologin "\$u"; else groupadd -g 1000 sandbox && useradd -u 1000 -g 1000 -d \/tmp/,
    );
  });

  it('code-executor: the Debian packages, mount points, user, env and labels of the debian recipe', () => {
    const builder = read('templates/builder/debian-rootfs.ts');
    const d = dockerfile('code-executor');
    assert.equal(d.labels.get(IMAGE_FOR_LABEL), 'debian');
    const include = /include: opts\.include \?\? \[([^\]]*)\]/.exec(builder)?.[1];
    assert.ok(include);
    // Each package of the offline recipe is installed when the base lacks it (a command or, for CA certificates, the bundle).
    for (const pkg of [...include.matchAll(/'([^']+)'/g)].map((m) => m[1]))
      assert.match(d.run, new RegExp(`for c in [^;]*\\b${pkg}\\b|missing="\\$missing ${pkg}"`), pkg);
    assert.match(d.run, /apt-get install -y --no-install-recommends \$missing/);
    // No volume mount points in either image: the engine makes them, owned by the sandbox's user on Podman.
    assert.doesNotMatch(builder, /mkdirSync\(p\('workspace'\)|\['workspace', 'output', 'airlock'\]/);
    assert.doesNotMatch(d.run, /mkdir -p \/workspace|chown 1000:1000 \/workspace/);
    const user = /airlock:x:\$\{SANDBOX_UID\}:\$\{SANDBOX_UID\}:airlock sandbox:(\/\w+):(\/[\w/]+)/.exec(builder);
    assert.deepEqual(user?.slice(1), ['/tmp', '/bin/sh']);
    assert.match(builder, /const SANDBOX_UID = 1000;/);
    assert.match(d.run, /useradd -u 1000 -g 1000 -d \/tmp -s \/bin\/sh -c 'airlock sandbox' -M airlock/);
    const envs = [...builder.matchAll(/'ENV ([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual(d.all('ENV'), envs);
    assert.deepEqual(d.all('WORKDIR'), [/'WORKDIR ([^']+)'/.exec(builder)![1]]);
  });
});
