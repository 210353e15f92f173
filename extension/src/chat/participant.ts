// The @airlock chat participant (only where VS Code's chat API exists): runs the prompt as a task in the shared chat session.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { ChatController } from './chatController';

export function registerParticipant(chat: ChatController, extensionUri: vscode.Uri): IDisposable | undefined {
  const api = (vscode as { chat?: typeof vscode.chat }).chat;
  if (!api?.createChatParticipant) return undefined;
  const participant = api.createChatParticipant('airlock.agent', async (request, _context, stream, token) => {
    try {
      stream.progress('Starting an Airlock task in a sandbox…');
      const taskId = await chat.send(request.prompt);
      const sub = chat.onOps(({ ops }) => {
        for (const op of ops) {
          if (op.type === 'append') stream.markdown(op.text);
          else if (op.type === 'upsert' && op.item.type === 'assistant' && op.item.text && op.item.streaming && op.item.text.length < 4096)
            stream.markdown(op.item.text);
          else if (op.type === 'upsert' && op.item.type === 'tool' && op.item.status === 'running')
            stream.progress(`Tool ${op.item.name}…`);
          else if (op.type === 'upsert' && op.item.type === 'approval' && op.item.state === 'pending')
            stream.markdown(
              `\n\n**Approval needed** for \`${op.item.toolName}\`: ${op.item.reason} — answer it in the Airlock chat view.\n\n`,
            );
          else if (op.type === 'upsert' && op.item.type === 'patchset')
            stream.button({ command: 'airlock.openPatchSet', title: `Review ${op.item.setId}`, arguments: [op.item.setId] });
        }
      });
      token.onCancellationRequested(() => void chat.stop());
      await new Promise<void>((resolve) => {
        const done = chat.onOps(({ ops }) => {
          if (ops.some((o) => o.type === 'status' && !o.running && o.taskId === taskId)) {
            done.dispose();
            resolve();
          }
        });
      });
      sub.dispose();
      stream.button({ command: 'airlock.openChat', title: 'Open in Airlock Chat' });
      return {};
    } catch (err) {
      return { errorDetails: { message: formatError(err) } };
    }
  });
  participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'airlock.svg');
  return participant;
}
