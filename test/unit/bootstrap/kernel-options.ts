// Test helper: the kernel container's create options for a workspace, as the bootstrap computes them from an environment.
import type Docker from 'dockerode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelCreateOptions } from '../../../bootstrap/kernel';
import { readConfig, type Paths } from '../../../core/src/config/bootstrap';
import type { Engine } from '../../../core/src/engine/detect';

/** `opts(env)`: the create options for workspace `ws` (a fake engine socket and outputs volume beside it). */
export function kernelOptionsFor(ws: string): (env: NodeJS.ProcessEnv) => Docker.ContainerCreateOptions {
  const paths: Paths = { id: 'abc', root: ws, state: ws, socketDir: ws, socket: path.join(ws, 's'), token: path.join(ws, 't') };
  const engine = { kind: 'docker', socket: path.join(ws, 'docker.sock'), rootless: false, warnings: [] } as unknown as Engine;
  fs.writeFileSync(engine.socket, '');
  const outputs = { name: 'o', mountpoint: '/o', options: 'size=1', bytes: 1 };
  return (env) => kernelCreateOptions(engine, readConfig({ workspace: ws }, env), paths, 'img', outputs);
}
