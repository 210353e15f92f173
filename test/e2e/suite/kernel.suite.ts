// Extension-host tests: the installed Airlock extension, its commands and a real kernel round trip through the vscode API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface KernelStatusResult {
  ok: boolean;
  pingMs?: number;
  version?: string;
  engine?: string;
  image?: string;
  error?: string;
}

export function kernelSuite(): void {
  describe('Airlock extension host', () => {
    it('is installed and activates in the trusted workspace', async () => {
      const ext = vscode.extensions.getExtension('airlock.airlock');
      assert.ok(ext, 'extension airlock.airlock is not loaded');
      const api = (await ext.activate()) as { kernel?: unknown };
      assert.equal(ext.isActive, true);
      assert.equal(vscode.workspace.isTrusted, true);
      assert.ok(api.kernel, 'a trusted folder gets a kernel service');
    });

    it('registers its commands', async () => {
      const all = await vscode.commands.getCommands(true);
      for (const id of ['airlock.showKernelStatus', 'airlock.restartKernel', 'airlock.showLogs'])
        assert.ok(all.includes(id), `${id} is not registered`);
    });

    it('opened the workspace folder holding the test file', async () => {
      const files = await vscode.workspace.findFiles('**/hello.ts');
      assert.equal(files.length, 1);
      assert.match((await vscode.workspace.fs.readFile(files[0])).toString(), /hello/);
    });

    it('Show Kernel Status round-trips a ping to the kernel container', async () => {
      const r = await vscode.commands.executeCommand<KernelStatusResult>('airlock.showKernelStatus');
      assert.ok(r, 'the command returned nothing');
      assert.equal(r.ok, true, `kernel not reachable: ${r.error}`);
      assert.equal(typeof r.pingMs, 'number');
      assert.ok(r.pingMs! >= 0 && r.pingMs! < 5000, `ping took ${r.pingMs} ms`);
      assert.match(r.version ?? '', /^\d+\.\d+\.\d+/);
      assert.match(r.engine ?? '', /^(docker|podman) /);
      assert.match(r.image ?? '', /airlock\/kernel:/);
    });
  });
}
