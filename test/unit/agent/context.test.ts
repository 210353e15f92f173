// Token counting, tool-result truncation, the sliding window with summary, and hard budgets.
import { strict as assert } from 'node:assert';
import type { ChatMessage } from '../../../protocol/src/agent';
import { BudgetTracker } from '../../../kernel/src/agent/budget';
import { fitWindow, truncateToolResult } from '../../../kernel/src/agent/context';
import { modelInfo } from '../../../kernel/src/agent/models';
import { BpeCounter, counterFor, EstimatingCounter } from '../../../kernel/src/agent/tokens';

describe('agent context: tokens', () => {
  it('uses the real o200k tokenizer for current OpenAI models and an estimate for others', () => {
    const c = counterFor(modelInfo('gpt-4o-2024-08-06'));
    assert.ok(c.exact);
    assert.equal(c.count('hello world'), 2);
    assert.equal(counterFor(modelInfo('claude-sonnet-4-5')).exact, false);
    assert.equal(modelInfo('models/gemini-2.5-pro').contextWindow, 1_048_576);
    assert.equal(modelInfo('qwen2.5-coder:7b').contextWindow, 32_768);
    assert.equal(modelInfo('gpt-4o-mini').inputPerMTok, 0.15, 'longest prefix wins');
  });

  it('the estimate is conservative on code and calibrates towards reported usage', () => {
    const code = 'export function add(a: number, b: number): number {\n  return a + b; // sum\n}\n'.repeat(200);
    const real = new BpeCounter('o200k_base').count(code);
    const est = new EstimatingCounter();
    const first = est.count(code);
    assert.ok(first >= real, `estimate ${first} should not undercount real ${real}`);
    // The vendor reports half of what we estimated: the estimate moves down but stays above the report.
    for (let i = 0; i < 20; i++) est.calibrate(est.count(code), Math.round(first / 2));
    const after = est.count(code);
    assert.ok(after < first * 0.7 && after >= first / 2, `calibrated ${after} from ${first}`);
  });
});

describe('agent context: truncation', () => {
  const counter = new BpeCounter('o200k_base');
  it('leaves small results alone', () => {
    assert.deepEqual(truncateToolResult('short', 100, counter), { text: 'short', truncated: false, originalTokens: 1 });
  });
  it('keeps head and tail lines within the limit and tells the model how to see more', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}: some content here`).join('\n');
    const r = truncateToolResult(text, 1000, counter);
    assert.ok(r.truncated);
    assert.ok(counter.count(r.text) <= 1000, `${counter.count(r.text)} tokens`);
    assert.ok(r.text.startsWith('line 0: '));
    assert.ok(r.text.endsWith('line 4999: some content here'));
    assert.match(r.text, /Airlock truncated this tool result: \d+ tokens exceed the 1000-token limit/);
    assert.match(r.text, /fs\.read startLine\/endLine/);
  });
});

describe('agent context: sliding window', () => {
  const counter = new BpeCounter('o200k_base');
  const conv = (): ChatMessage[] => {
    const ms: ChatMessage[] = [{ role: 'user', content: 'TASK: fix the failing test' }];
    for (let i = 0; i < 30; i++) {
      ms.push({
        role: 'assistant',
        content: `step ${i}`,
        toolCalls: [{ id: `c${i}`, name: 'fs.read', arguments: JSON.stringify({ path: `f${i}.ts` }) }],
      });
      ms.push({ role: 'tool', toolCallId: `c${i}`, name: 'fs.read', content: `content of f${i} `.repeat(40), isError: false });
    }
    return ms;
  };

  it('keeps the task, the newest turns and a summary of the dropped ones, within budget', () => {
    const r = fitWindow(conv(), 2500, counter);
    assert.ok(r.dropped > 0);
    assert.ok(r.tokens <= 2500, `${r.tokens}`);
    assert.equal(r.messages[0].content, 'TASK: fix the failing test');
    assert.match(r.messages[1].content, /Airlock context note: \d+ earlier messages were removed/);
    assert.match(r.messages[1].content, /you called fs\.read \{"path":"f0\.ts"\} -> ok: content of f0/);
    const last = r.messages[r.messages.length - 1];
    assert.equal(last.role, 'tool');
    assert.equal(last.role === 'tool' && last.toolCallId, 'c29');
  });

  it('never separates a tool result from its call', () => {
    const r = fitWindow(conv(), 1800, counter);
    const calls = new Set(r.messages.flatMap((m) => (m.role === 'assistant' ? m.toolCalls.map((c) => c.id) : [])));
    for (const m of r.messages) if (m.role === 'tool') assert.ok(calls.has(m.toolCallId), `orphan result ${m.toolCallId}`);
    assert.equal(r.messages[2].role, 'assistant');
  });

  it('returns the conversation unchanged when it fits', () => {
    const ms = conv().slice(0, 3);
    const r = fitWindow(ms, 100_000, counter);
    assert.equal(r.messages, ms);
    assert.equal(r.dropped, 0);
  });
});

describe('agent budgets', () => {
  const price = { inputPerMTok: 3, outputPerMTok: 15 };
  it('stops at the turn budget with a clear message', () => {
    const b = new BudgetTracker({ maxTurns: 2 }, price);
    b.beginTurn();
    b.beginTurn();
    assert.throws(
      () => b.beginTurn(),
      (e: any) => e.code === 'AGENT_BUDGET_EXCEEDED' && e.message === 'Task stopped: the turns budget is used up (2 model turns of 2).',
    );
  });
  it('stops on tokens and on cost', () => {
    const t = new BudgetTracker({ maxTokens: 1000 }, price);
    t.addUsage({ inputTokens: 900, outputTokens: 100 });
    assert.throws(() => t.check(), /tokens budget is used up \(1000 tokens of 1000 tokens\)/);
    const c = new BudgetTracker({ maxCostUsd: 0.01 }, price);
    c.addUsage({ inputTokens: 1000, outputTokens: 400 }); // 0.003 + 0.006
    c.check();
    c.addUsage({ inputTokens: 0, outputTokens: 100 });
    assert.throws(() => c.check(), /cost budget is used up \(\$0\.0105 of \$0\.01\)/);
  });
  it('stops on wall time', () => {
    let now = 1000;
    const b = new BudgetTracker({ maxWallMs: 5000 }, price, () => now);
    b.beginTurn();
    now += 5000;
    assert.throws(() => b.beginTurn(), /wall time budget is used up \(5 s of 5 s\)/);
  });
});
