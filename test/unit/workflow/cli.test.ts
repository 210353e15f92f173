// `airlock tasks` and `airlock mode` output and argument handling, against the real handlers and services.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { AirlockError } from '../../../protocol/src/errors';
import type { MethodName, ParamsOf, ResultOf } from '../../../protocol/src/methods';
import { methods } from '../../../protocol/src/methods';
import type { Handler, HandlerMap, RequestContext } from '../../../protocol/src/rpc-server';
import { modeAction } from '../../../cli/src/commands/mode';
import { tasksAction } from '../../../cli/src/commands/tasks';
import type { CliIO } from '../../../cli/src/command';
import { schedulerHandlers, workflowHandlers } from '../../../kernel/src/handlers/registry';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { tempDir, testAudit } from './helpers';

describe('airlock tasks / airlock mode', () => {
  let out: string[];
  const io = { out: (l: string) => out.push(l), err: () => {} } as unknown as CliIO;
  let scheduler: Scheduler;
  let workflow: WorkflowService;
  let client: { request<M extends MethodName>(m: M, p: ParamsOf<M>): Promise<ResultOf<M>> };
  beforeEach(() => {
    out = [];
    scheduler = new Scheduler({ limits: { cpu: 1, sandboxes: 2 } });
    const { log, audit } = testAudit();
    workflow = new WorkflowService({ audit, dbPath: path.join(tempDir('wf-cli'), 'workflow.db') });
    const h: HandlerMap = { ...schedulerHandlers({ scheduler, audit: { writer: log } }), ...workflowHandlers({ workflow }) };
    // Params go through the protocol schemas exactly as the RPC server would validate them.
    client = {
      request: async (m, p) =>
        (h[m] as Handler<typeof m>)(methods[m][0].parse(p) as never, { signal: new AbortController().signal } as RequestContext) as never,
    };
  });
  afterEach(() => {
    scheduler.dispose();
    workflow.dispose();
  });

  it('lists tasks with limits and use, and pauses/cancels by id', async () => {
    scheduler.submit(
      { id: 'index', title: 'index the repo', priority: 3, resources: { cpu: 1, sandboxes: 1 } },
      () => new Promise(() => {}),
    );
    scheduler.submit({ id: 'tests', title: 'run tests', priority: 1, deps: ['index'], resources: { cpu: 1 } }, async () => {});
    assert.equal(await tasksAction(client, 'list', [], io), 0);
    assert.equal(out[0], 'limits sandboxes=2,cpu=1  in use sandboxes=1,cpu=1');
    assert.match(out[1], /^index\s+running\s+p3\s+sandboxes=1,cpu=1\s+index the repo$/);
    assert.match(out[2], /^tests\s+waiting\s+p1\s+cpu=1\s+run tests  \(after index\)$/);
    out = [];
    await tasksAction(client, 'cancel', ['index', '--reason', 'not needed'], io);
    assert.match(out[0], /cancelled .*\(not needed\)$/);
    out = [];
    await tasksAction(client, 'list', ['--state', 'cancelled'], io);
    assert.equal(out.length, 3, 'both tasks: the dependent was cancelled with its dependency');
    await assert.rejects(tasksAction(client, 'list', ['--state', 'bogus'], io), (e: AirlockError) => e.code === 'CLI_USAGE');
    await assert.rejects(tasksAction(client, 'pause', [], io), (e: AirlockError) => e.code === 'CLI_USAGE');
  });

  it('shows sessions with next steps and switches mode with a reason', async () => {
    workflow.create('chat-1', 'strict');
    await modeAction(client, [], io);
    assert.deepEqual(out, ['chat-1  strict/spec  budget 0/2 pts used', '  next: red [failingTestSeen], green [tddExempt]']);
    out = [];
    await assert.rejects(
      modeAction(client, ['chat-1', 'explore'], io),
      (e: AirlockError) => e.code === 'CLI_USAGE' && /--reason/.test(e.message),
    );
    await modeAction(client, ['chat-1', 'explore', '--reason', 'prototyping'], io);
    assert.equal(out[0], 'chat-1  explore/editing  budget 0/2 pts used');
    out = [];
    await modeAction(client, ['chat-1'], io);
    assert.match(out.at(-1)!, /#2 .* person mode spec -> editing  \(prototyping\)$/);
    out = [];
    await modeAction(client, ['chat-1', '--json'], io);
    const j = JSON.parse(out.join('\n')) as { sessions: { id: string; mode: string }[]; history: unknown[] };
    assert.deepEqual(
      j.sessions.map((x) => [x.id, x.mode]),
      [['chat-1', 'explore']],
    );
    assert.equal(j.history.length, 2);
  });
});
