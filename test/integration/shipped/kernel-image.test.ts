// The kernel image as it ships: inside the running container the asset resolver finds the image layout, the built-in
// protections guard the kernel's real folder, and a Deno predicate rule really evaluates (allow and deny).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KernelSupervisor } from '../../../bootstrap';
import { assets } from '../../../protocol/src/node/assets';
import { ENGINES, removeKernel, startKernel, tempWorkspace } from '../kernel/helpers';

/** The shipped policies plus one rule whose Deno predicate decides: deny reading `vault/*` files named `*secret*`. */
function userPolicies(base: string): string {
  const dir = path.join(base, 'my policies');
  fs.cpSync(assets().policiesDir, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'is-secret.ts'), 'export default (req: { resource: string }) => req.resource.includes("secret");\n');
  fs.appendFileSync(
    path.join(dir, 'strict.yaml'),
    `
  - id: vault-secrets
    effect: deny
    subjects: ["agent:*"]
    actions: ["fs.read"]
    resources: ["vault/**"]
    predicate: ./is-secret.ts
    reason: a predicate decides which vault files are secret
`,
  );
  return dir;
}

const agent = { kind: 'agent' as const, id: 'image-test', tags: [] };

for (const engine of ENGINES) {
  describe(`the kernel image on ${engine}`, function () {
    this.timeout(180_000);
    let sup: KernelSupervisor;
    before(async () => {
      const t = tempWorkspace();
      sup = await startKernel(engine, { ...t, policiesDir: userPolicies(path.dirname(t.workspace)) });
    });
    after(async () => {
      if (sup) await removeKernel(sup);
    });

    it('resolves its assets in the image layout and protects /opt/airlock', async () => {
      const info = await (await sup.ready()).request('kernel/info', {});
      assert.deepEqual(info.assets, {
        layout: 'image',
        kernelDir: '/opt/airlock',
        policiesDir: '/opt/airlock/user/policies',
        sandboxTemplatesDir: '/opt/airlock/templates/sandbox',
        deno: true,
      });
    });

    it("the built-in protections deny reading the kernel's code and writing its policies", async () => {
      const client = await sup.ready();
      const judge = (action: string, resource: string) =>
        client.request('policy/evaluate', { subject: agent, action, resource, context: { size: 10 } });
      for (const [action, resource] of [
        ['fs.read', '/opt/airlock/dist/kernel/kernel.js'],
        ['fs.read', '/opt/airlock/dist/kernel/audit-writer.js'],
        ['fs.write', '/opt/airlock/policies/strict.yaml'],
        ['fs.write', '/opt/airlock/user/policies/strict.yaml'],
        ['fs.read', '/state/policy-token.key'],
      ]) {
        const d = await judge(action, resource);
        assert.equal(d.decision, 'deny', `${action} ${resource}: ${d.reason}`);
        assert.ok(
          d.matched.some((m) => m.startsWith('builtin.')),
          `${action} ${resource} is denied by a built-in (${d.matched.join(', ')})`,
        );
      }
    });

    it('a Deno predicate rule evaluates both ways inside the container (not "crashed")', async () => {
      const client = await sup.ready();
      const judge = (resource: string) =>
        client.request('policy/evaluate', { subject: agent, action: 'fs.read', resource, context: { size: 10 } });
      const open = await judge('vault/readme.md');
      assert.equal(open.decision, 'allow', open.reason); // the predicate answered false: the rule did not apply
      const secret = await judge('vault/secret.txt');
      assert.equal(secret.decision, 'deny');
      assert.ok(secret.matched.includes('vault-secrets'), secret.matched.join(', '));
      assert.doesNotMatch(secret.reason, /failed|crash|could not start|not shipped/, secret.reason);
    });
  });
}
