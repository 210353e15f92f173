// Previews for the chat's approval cards, and their "Open diff": the proposed edit in VS Code's diff editor.
import * as vscode from 'vscode';
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable } from '../../../protocol/src/lifecycle';
import type { ApprovalPreview, ChatItem } from '../../../protocol/src/webview';
import { approvalPreview, editPair, type EditPair } from './approvalPreview';

export const APPROVAL_SCHEME = 'airlock-approval';
type Approval = Extract<ChatItem, { type: 'approval' }>;

/** Read-only documents `airlock-approval:/<requestId>/<before|after>/<path>` holding an approval's two sides. */
export class ApprovalDiffs extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly pairs = new Map<string, EditPair>();

  constructor(private readonly root: vscode.Uri | undefined) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(APPROVAL_SCHEME, this));
  }

  /** The card's preview (undefined for tools without one, or with no folder to diff against). */
  async preview(item: Approval): Promise<ApprovalPreview | undefined> {
    return approvalPreview(item.toolName, item.arguments, (p) => this.read(p));
  }

  /** Opens the diff editor on the approval's edit (works after a reload too: the pair is computed again). */
  async open(item: Approval): Promise<void> {
    const pair = this.pairs.get(item.id) ?? (await editPair(item.toolName, item.arguments, (p) => this.read(p)));
    if (!pair) throw new AirlockError('CHAT_NO_DIFF', `the ${item.toolName} call has no diff to show`, 'only file edits have a diff');
    if (this.pairs.size > 100) this.pairs.delete(this.pairs.keys().next().value!);
    this.pairs.set(item.id, pair);
    const side = (s: 'before' | 'after') => vscode.Uri.from({ scheme: APPROVAL_SCHEME, path: `/${item.id}/${s}/${pair.path}` });
    const title = `${pair.path} (proposed by ${item.toolName}, awaiting your approval)`;
    await vscode.commands.executeCommand('vscode.diff', side('before'), side('after'), title, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const m = /^\/([^/]+)\/(before|after)\//.exec(uri.path);
    const pair = m ? this.pairs.get(m[1]!) : undefined;
    return pair ? (m![2] === 'before' ? pair.before : pair.after) : '';
  }

  /** The workspace file (decoded as UTF-8), refusing paths that leave the folder. */
  private async read(rel: string): Promise<string | undefined> {
    if (!this.root || rel.split(/[\\/]/).includes('..') || rel.startsWith('/')) return undefined;
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.root, rel)));
    } catch {
      return undefined;
    }
  }
}
