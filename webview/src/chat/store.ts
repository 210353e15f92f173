// The webview's copy of the transcript: applies host ops in place with an id index, reporting which rows changed.
import type { ChatItem, ChatOp, ChatSnapshot, ChatUsage } from '../../../protocol/src/webview';
import type { AgentMode } from '../../../protocol/src/agent';

export class ChatStore {
  items: ChatItem[] = [];
  private index = new Map<string, number>();
  running = false;
  taskId: string | null = null;
  mode: AgentMode = 'strict';
  usage: ChatUsage = { totalTokens: 0, costUsd: 0 };

  reset(s: ChatSnapshot): void {
    this.items = [...s.items];
    this.index = new Map(this.items.map((x, i) => [x.id, i]));
    this.running = s.running;
    this.taskId = s.taskId;
    this.mode = s.mode;
    this.usage = s.usage;
  }

  /** Applies ops; returns changed row indexes, and whether rows were added (the list length changed). */
  apply(ops: readonly ChatOp[]): { changed: number[]; added: boolean; meta: boolean } {
    const changed: number[] = [];
    let added = false,
      meta = false;
    for (const op of ops) {
      switch (op.type) {
        case 'upsert': {
          const i = this.index.get(op.item.id);
          if (i === undefined) {
            this.index.set(op.item.id, this.items.length);
            this.items.push(op.item);
            added = true;
          } else {
            this.items[i] = op.item;
            changed.push(i);
          }
          break;
        }
        case 'append': {
          const i = this.index.get(op.id);
          const it = i === undefined ? undefined : this.items[i];
          if (i !== undefined && it?.type === 'assistant') {
            this.items[i] = { ...it, text: it.text + op.text };
            changed.push(i);
          }
          break;
        }
        case 'status':
          this.running = op.running;
          this.taskId = op.taskId;
          meta = true;
          break;
        case 'usage':
          this.usage = op.usage;
          meta = true;
          break;
        case 'mode':
          this.mode = op.mode;
          meta = true;
          break;
        default: {
          const never: never = op;
          return never;
        }
      }
    }
    return { changed, added, meta };
  }
}
