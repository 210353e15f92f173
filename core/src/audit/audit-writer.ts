// The audit writer thread: takes row batches from the log over a MessagePort and commits them (group commit per wake-up).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { openDatabase } from '../store/sqlite';
import { Committer } from './commit';
import type { ChainPoint } from './head';
import type { WriterReply, WriterRequest, WriterThreadData } from './writer';

function start(data: WriterThreadData): void {
  const port: MessagePort = data.port;
  const ctrl = new Int32Array(data.ctrl);
  const db = openDatabase(data.dbPath, { create: false });
  const committer = new Committer({
    db,
    key: Buffer.from(data.key),
    logId: data.logId,
    headPath: data.headPath,
    headCounter: data.headCounter,
    committed: data.committed,
  });
  let lastTarget: ChainPoint = data.committed;
  let closed = false;

  const reply = (r: WriterReply) => {
    port.postMessage(r);
    // The log may be blocked in Atomics.wait (a synchronous flush) rather than listening on its port.
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  };

  port.on('message', (first: WriterRequest) => {
    // Everything queued since the last wake-up goes into one transaction: one fsync for every waiting durable entry.
    const batch: WriterRequest[] = [first];
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) batch.push(m.message as WriterRequest);
    const parts: string[] = [];
    let durable = false;
    let close = false;
    for (const m of batch) {
      switch (m.type) {
        case 'batch':
          parts.push(m.text);
          lastTarget = m.target;
          durable ||= m.durable;
          break;
        case 'retry':
          durable = true;
          break;
        case 'close':
          close = true;
          break;
        default: {
          const never: never = m;
          throw new Error(`unknown writer request ${JSON.stringify(never)}`);
        }
      }
    }
    const text = parts.length === 1 ? parts[0] : parts.join('');
    let result: WriterReply;
    if (text || committer.backlog) {
      try {
        committer.commit({ text, target: lastTarget, durable: durable || close });
        result = { type: 'committed', point: lastTarget, handled: batch.length };
      } catch (e) {
        result = { type: 'failed', through: lastTarget.seq, message: (e as Error).message, handled: batch.length };
      }
    } else {
      result = { type: 'committed', point: committer.committed, handled: batch.length };
    }
    if (close && !closed) {
      // Closed before the answer, so the log never closes its connection while this one still writes.
      closed = true;
      committer.dispose();
      db.close();
    }
    reply(result);
    if (closed) port.close();
  });
}

if (parentPort) start(workerData as WriterThreadData);
