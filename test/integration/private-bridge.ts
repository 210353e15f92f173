// A bridge of its own for a second dockerd in the host's network namespace. `dockerd --bridge=none` deletes the
// host's docker0 at start (the default bridge it would not use), which breaks every later container on the main engine
// that needs a network; a named bridge of our own leaves docker0 alone.
import { spawnSync } from 'node:child_process';

export interface PrivateBridge {
  name: string;
  flag: string;
  remove(): void;
}

export function privateBridge(): PrivateBridge {
  const n = Math.floor(Math.random() * 200) + 20;
  const name = `albr${process.pid % 10000}${n}`.slice(0, 15);
  const run = (args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  run(['link', 'add', name, 'type', 'bridge']);
  run(['addr', 'add', `10.213.${n}.1/24`, 'dev', name]);
  run(['link', 'set', name, 'up']);
  return { name, flag: `--bridge=${name}`, remove: () => void spawnSync('ip', ['link', 'del', name]) };
}
