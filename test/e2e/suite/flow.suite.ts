// Extension-host tests of the task → approval → review → merge → audit → stop flow, through the vscode API and commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AirlockApi } from '../../../extension/src/extension';
import { fileHunks } from '../../../extension/src/review/proposed';
import type { ChatItem } from '../../../protocol/src/webview';
import {
  ASKED_PATH,
  ASKED_REASON,
  expectedAfterMerge,
  FINAL_TEXT,
  FLOW_PROMPT,
  SET_ADDED,
  SET_FILES,
  SORT_NEW,
  STATS,
} from './flowFixture';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const items = (api: AirlockApi) => api.ui!.chat.session.items;
const find = <T extends ChatItem['type']>(api: AirlockApi, type: T, pred: (x: Extract<ChatItem, { type: T }>) => boolean = () => true) =>
  items(api).find((x): x is Extract<ChatItem, { type: T }> => x.type === type && pred(x as Extract<ChatItem, { type: T }>));

export function flowSuite(): void {
  describe('Airlock flow in the extension host (replay provider, real kernel and sandboxes)', () => {
    let api: AirlockApi;
    let root: vscode.Uri;
    let original: string;
    let setId: string;

    before(async () => {
      const ext = vscode.extensions.getExtension<AirlockApi>('airlock.airlock');
      assert.ok(ext, 'extension airlock.airlock is not loaded');
      api = await ext.activate();
      assert.ok(api.kernel && api.ui && api.folder, 'a trusted single-folder workspace gets a kernel and the UI');
      root = api.folder.uri;
      original = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, STATS))).toString('utf8');
      await api.kernel.client();
      api.ui.chat.newSession();
    });

    it('works on the only folder on disk and reports its activation time', () => {
      assert.equal(api.folder!.uri.fsPath, vscode.workspace.workspaceFolders![0]!.uri.fsPath);
      assert.ok(api.activationMs > 0 && api.activationMs < 5000, `activationMs ${api.activationMs}`);
    });

    it('Start Task streams the answer, asks once (the CI workflow file), and allow-session lets the task finish', async () => {
      const taskId = await vscode.commands.executeCommand<string>('airlock.startTask', FLOW_PROMPT);
      assert.match(taskId ?? '', /^task_/);
      const approval = await until('the approval prompt', () => find(api, 'approval', (a) => a.taskId === taskId && a.state === 'pending'));
      assert.equal(approval.toolName, 'fs.write');
      assert.equal(JSON.parse(approval.arguments).path, ASKED_PATH);
      assert.equal(approval.reason, ASKED_REASON);
      assert.ok(api.ui!.chat.snapshot().approvals.allowSession, 'this kernel accepts allow-session');
      await api.ui!.chat.approve(approval.id, 'allow-session');
      await until('the task to finish', () => !api.ui!.chat.session.running || undefined);
      assert.equal(items(api).filter((x) => x.type === 'approval').length, 1, 'exactly one ask');
      assert.equal(find(api, 'approval')?.state, 'allowed-session');
      const exec = find(api, 'tool', (t) => t.name === 'exec');
      assert.equal(exec?.status, 'done', JSON.stringify(exec));
      assert.equal(find(api, 'tool', (t) => t.name === 'fs.write' && t.arguments.includes(ASKED_PATH))?.status, 'done');
      assert.ok(
        items(api).some((x) => x.type === 'assistant' && x.text.includes(FINAL_TEXT)),
        'the final answer streamed in',
      );
      assert.ok(
        find(api, 'notice', (n) => /Task completed/.test(n.text)),
        'the task completed',
      );
      const card = await until('the patch-set card', () => find(api, 'patchset'));
      assert.deepEqual([card.files, card.added, card.removed], [SET_FILES, SET_ADDED, 2]);
      setId = card.setId;
    });

    it('accepts one hunk and rejects the other; Merge writes only the accepted hunk, and the editor can undo it', async () => {
      const { set } = await api.ui!.review.client.show(setId, true);
      const file = set.files.find((f) => f.path === STATS)!;
      const hunks = fileHunks(file);
      assert.equal(hunks.length, 2, 'two separate hunks');
      const sort = hunks.find((h) => h.lines.some((l) => l.includes(SORT_NEW)))!;
      const header = hunks.find((h) => h !== sort)!;
      await vscode.commands.executeCommand('airlock.acceptHunk', setId, STATS, sort.id);
      await vscode.commands.executeCommand('airlock.rejectHunk', setId, STATS, header.id);
      await vscode.commands.executeCommand('airlock.rejectFile', setId, ASKED_PATH);
      await vscode.commands.executeCommand('airlock.mergePatchSet', setId);
      const uri = vscode.Uri.joinPath(root, STATS);
      const disk = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      assert.equal(disk, expectedAfterMerge(original));
      await assert.rejects(
        Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.joinPath(root, ASKED_PATH))),
        'the rejected file was not created',
      );
      // The merge went through a WorkspaceEdit: the document's own undo brings the old text back.
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('undo');
      assert.equal(doc.getText(), original);
      await vscode.commands.executeCommand('redo');
      assert.equal(doc.getText(), expectedAfterMerge(original));
      await doc.save();
    });

    it('the audit log holds the decisions and the merge of the set', async () => {
      const client = await api.kernel!.client();
      const page = await client.request('audit/query', { action: 'review.*', limit: 200 });
      const mine = page.entries.filter((e) => e.resource === setId);
      const actions = mine.map((e) => e.action);
      const all = async () =>
        (await client.request('audit/query', { limit: 60 })).entries.map((e) => `${e.seq} ${e.action} ${e.resource}`).join('; ');
      assert.ok(actions.includes('review.decide'), `review.decide for ${setId} in [${actions}]; newest entries: ${await all()}`);
      assert.ok(actions.includes('review.merged'), `review.merged for ${setId} in [${actions}]; newest entries: ${await all()}`);
    });

    it('Stop Task cancels a running task waiting for approval; its prompt expires', async () => {
      const taskId = await vscode.commands.executeCommand<string>('airlock.startTask', FLOW_PROMPT);
      await until('the second approval prompt', () => find(api, 'approval', (a) => a.taskId === taskId && a.state === 'pending'));
      assert.equal(api.ui!.chat.session.running, true);
      await vscode.commands.executeCommand('airlock.stopTask');
      await until('the task to stop', () => !api.ui!.chat.session.running || undefined, 30_000);
      assert.ok(
        find(api, 'notice', (n) => /Task cancelled/.test(n.text)),
        'the chat says the task was cancelled',
      );
      assert.equal(find(api, 'approval', (a) => a.taskId === taskId)?.state, 'expired');
    });
  });
}
