// Test helper: the kernel container's create options for a workspace, as the bootstrap computes them from an environment.
import * as assert from 'node:assert/strict';
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

/**
 * Asserts that the environment variable `name` set to `set` (and left to its default, `unset`) reaches the kernel
 * container's Env, and that the two differ in the kernel's fit (a change replaces the running kernel); returns both.
 */
export function assertTravelsToKernel(
  ws: string,
  env: NodeJS.ProcessEnv,
  name: string,
  set: string,
  unset: string,
): { set: Docker.ContainerCreateOptions; unset: Docker.ContainerCreateOptions } {
  const opts = kernelOptionsFor(ws);
  const r = { set: opts({ ...env, [name]: set }), unset: opts(env) };
  assert.ok(r.set.Env!.includes(`${name}=${set}`), `${name}=${set} in the kernel's Env`);
  assert.ok(r.unset.Env!.includes(`${name}=${unset}`), `${name}=${unset} in the kernel's Env`);
  assert.notEqual(r.set.Labels!['airlock.fit'], r.unset.Labels!['airlock.fit']);
  return r;
}
