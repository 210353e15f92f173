// Images with a prompt: checked (provider, real image data, sizes), carried in the prompt's message, and sent in each
// vendor's own form; a provider that takes none refuses the task.
import { strict as assert } from 'node:assert';
import { base64Bytes, type ChatMessage, type ImageInput, type StreamEvent } from '../../../protocol/src/agent';
import type { AirlockError } from '../../../protocol/src/errors';
import { TaskStartParams } from '../../../protocol/src/methods/agent';
import { checkImages } from '../../../kernel/src/agent/task-images';
import { toChatMessages } from '../../../kernel/src/agent/providers/openai-chat';
import { toResponsesInput } from '../../../kernel/src/agent/providers/openai-responses';
import { toAnthropicMessages } from '../../../kernel/src/agent/providers/anthropic';
import { toGeminiContents } from '../../../kernel/src/agent/providers/gemini';
import { runAgentTask } from '../../../kernel/src/agent/loop';
import { modelInfo } from '../../../kernel/src/agent/models';
import type { IProvider, ProviderRequest } from '../../../kernel/src/agent/providers/types';
import { ToolRouter } from '../../../kernel/src/agent/router';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { counterFor, countMessage, IMAGE_TOKENS } from '../../../kernel/src/agent/tokens';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 7)]).toString('base64');
const png: ImageInput = { mediaType: 'image/png', data: PNG };
const msg: ChatMessage = { role: 'user', content: 'what is wrong in this screenshot?', images: [png] };
const url = `data:image/png;base64,${PNG}`;

describe('prompt images', () => {
  it('are refused for providers that take none, and when the data is not the type it claims', () => {
    assert.throws(
      () => checkImages('replay', [png]),
      (e: AirlockError) => e.code === 'AGENT_IMAGES_UNSUPPORTED' && /replay provider takes no images/.test(e.message),
    );
    assert.throws(
      () => checkImages('vscode-lm', [png]),
      (e: AirlockError) => e.code === 'AGENT_IMAGES_UNSUPPORTED',
    );
    assert.throws(
      () => checkImages('openai', [{ mediaType: 'image/jpeg', data: PNG }]),
      (e: AirlockError) => e.code === 'AGENT_IMAGE_INVALID',
    );
    const [rec] = checkImages('anthropic', [png]);
    assert.deepEqual(Object.keys(rec!), ['mediaType', 'bytes', 'sha256']);
    assert.equal(rec!.bytes, 32);
    assert.deepEqual(checkImages('replay', undefined), []);
  });

  it('task/start caps their count and total size, and takes only base64', () => {
    const big = { mediaType: 'image/png' as const, data: 'A'.repeat(1_300_000) };
    assert.equal(base64Bytes(big.data), 975_000);
    assert.equal(TaskStartParams.safeParse({ prompt: 'x', images: [png] }).success, true);
    assert.equal(TaskStartParams.safeParse({ prompt: 'x', images: [big, big, big] }).success, false, 'over 2 MB together');
    assert.equal(TaskStartParams.safeParse({ prompt: 'x', images: [png, png, png, png, png] }).success, false);
    assert.equal(TaskStartParams.safeParse({ prompt: 'x', images: [{ mediaType: 'image/png', data: 'not base64!' }] }).success, false);
    assert.equal(TaskStartParams.safeParse({ prompt: 'x', images: [{ mediaType: 'image/svg+xml', data: PNG }] }).success, false);
  });

  it('go to each vendor in its own form, after the text', () => {
    const req = (m: ChatMessage): ProviderRequest => ({ model: 'm', messages: [m], tools: [] });
    assert.deepEqual(toChatMessages(req(msg)), [
      {
        role: 'user',
        content: [
          { type: 'text', text: msg.content },
          { type: 'image_url', image_url: { url } },
        ],
      },
    ]);
    assert.deepEqual(toResponsesInput(req(msg)), [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: msg.content },
          { type: 'input_image', image_url: url, detail: 'auto' },
        ],
      },
    ]);
    assert.deepEqual(toAnthropicMessages(req(msg)), [
      {
        role: 'user',
        content: [
          { type: 'text', text: msg.content },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
    ]);
    assert.deepEqual(toGeminiContents(req(msg)), [
      { role: 'user', parts: [{ text: msg.content }, { inlineData: { mimeType: 'image/png', data: PNG } }] },
    ]);
    // Without images a user message stays plain text everywhere.
    assert.deepEqual(toChatMessages(req({ role: 'user', content: 'hi' })), [{ role: 'user', content: 'hi' }]);
    assert.equal(
      countMessage(counterFor(modelInfo('gpt-4o')), msg) -
        countMessage(counterFor(modelInfo('gpt-4o')), { role: 'user', content: msg.content }),
      IMAGE_TOKENS,
    );
  });

  it("ride in the prompt's message of every model request of the task", async () => {
    const seen: ProviderRequest[] = [];
    const provider: IProvider = {
      name: 'fake',
      async *stream(r: ProviderRequest): AsyncGenerator<StreamEvent> {
        seen.push({ ...r, messages: [...r.messages] }); // the loop goes on appending to its own array
        yield { type: 'text-delta', text: 'A red button.' };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    const info = modelInfo('gpt-4o');
    const counter = counterFor(info);
    const r = await runAgentTask({
      prompt: msg.content,
      images: [png],
      history: [
        { role: 'user', text: 'earlier' },
        { role: 'assistant', text: 'ok' },
      ],
      model: 'gpt-4o',
      modelInfo: info,
      provider,
      counter,
      router: new ToolRouter([], {
        policy: { evaluate: () => ({ decision: 'allow', matched: 'x', reason: 'x' }) },
        sanitiser: new Sanitiser(),
        counter,
        onEvent: () => undefined,
      }),
      routeContext: { workspace: '/nonexistent', taskId: 'task_img' } as never,
      onEvent: () => undefined,
      signal: new AbortController().signal,
    });
    assert.equal(r.status, 'completed');
    const last = seen[0]!.messages[seen[0]!.messages.length - 1]!;
    assert.deepEqual(last, msg);
    assert.equal(seen[0]!.messages.filter((m) => m.role === 'user' && m.images).length, 1, 'only the prompt has them');
  });
});
