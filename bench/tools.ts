// Agent tools benchmark: native tool overhead through the router, search.grep vs ripgrep on 50,000 files, stream throughput.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelInfo } from '../kernel/src/agent/models';
import { OpenAIChatProvider } from '../kernel/src/agent/providers/openai-chat';
import { ToolRouter } from '../kernel/src/agent/router';
import { Sanitiser } from '../kernel/src/agent/sanitise';
import { counterFor } from '../kernel/src/agent/tokens';
import { disposeGrepPool, grep } from '../kernel/src/agent/tools/grep';
import { nativeTools } from '../kernel/src/agent/tools/native';
import { chatTurn, startOpenAIFake } from '../test/fakes/openai';
import { nowMs, percentile, report, sample } from './lib';

const FILES = 50_000;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'import', 'export', 'function', 'const', 'return', 'value', 'result', 'config', 'handler', 'widget', 'service'];

function generateTree(root: string): void {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, `pkg${i % 50}`, `mod${Math.floor(i / 50) % 40}`);
    if (i < 2000) fs.mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const n = 20 + Math.floor(rnd() * 60);
    for (let l = 0; l < n; l++) lines.push(Array.from({ length: 8 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ') + (rnd() < 0.002 ? ' NEEDLE_TODO' : ''));
    fs.writeFileSync(path.join(dir, `file${i}.ts`), lines.join('\n') + '\n');
  }
  fs.writeFileSync(path.join(root, '.gitignore'), 'ignored/\n');
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-tools-'));
  try {
    // 1. Native tool call overhead: request -> policy (allow) -> run -> sanitise/truncate -> result.
    fs.writeFileSync(path.join(root, 'small.ts'), Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join('\n'));
    const info = modelInfo('gpt-4o');
    const router = new ToolRouter(nativeTools, {
      policy: { evaluate: () => ({ decision: 'allow', matched: 'bench', reason: 'allowed' }) },
      audit: { append: () => {} }, sanitiser: new Sanitiser(), counter: counterFor(info),
    });
    const signal = new AbortController().signal;
    const ctx = { workspace: root, taskId: 'task_bench' };
    const calls = [
      { id: 'c', name: 'fs.read', arguments: '{"path":"small.ts","startLine":1,"endLine":20}' },
      { id: 'c', name: 'fs.exists', arguments: '{"path":"small.ts"}' },
      { id: 'c', name: 'fs.list', arguments: '{"path":"."}' },
    ];
    let k = 0;
    const overhead = await sample(3000, async () => { const r = await router.call(calls[k++ % calls.length], ctx, signal); if (!r.ok) throw new Error(r.content); }, 200);

    // 2. search.grep vs ripgrep (Debian's rg) on the same 50,000-file tree, same pattern, all matches.
    const tree = path.join(root, 'tree');
    generateTree(tree);
    const pattern = 'NEEDLE_\\w+';
    const ours: number[] = [], rg: number[] = [];
    let oursCount = 0, rgCount = 0;
    for (let i = 0; i < 6; i++) {
      let t = nowMs();
      const r = await grep(tree, { pattern, maxResults: 1_000_000 }, signal);
      ours.push(nowMs() - t); oursCount = r.matches.length;
      t = nowMs();
      const out = execFileSync('/usr/bin/rg', ['-n', '--no-heading', pattern, tree], { maxBuffer: 1 << 28 }).toString();
      rg.push(nowMs() - t); rgCount = out.split('\n').filter(Boolean).length;
    }
    if (oursCount !== rgCount) throw new Error(`match counts differ: ours ${oursCount}, rg ${rgCount}`);
    disposeGrepPool();

    // 3. Stream throughput: fake OpenAI server (real SSE) -> real SDK -> normalised events.
    const srv = await startOpenAIFake();
    const deltas = Array.from({ length: 20_000 }, (_, i) => `tok${i} `);
    const provider = new OpenAIChatProvider({ apiKey: 'sk-bench', baseURL: `${srv.url}/v1` });
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      srv.enqueue(chatTurn({ text: deltas, usage: { input: 1, output: 1 } }));
      const t = nowMs();
      let n = 0;
      for await (const _ of provider.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], tools: [] }, signal)) n++;
      rates.push(n / ((nowMs() - t) / 1000));
    }
    await srv.close();

    const grepMs = percentile(ours, 50), rgMs = percentile(rg, 50);
    report('tools', {
      native_tool_p50_ms: { value: percentile(overhead, 50), unit: 'ms', goal: '<= 1' },
      native_tool_p99_ms: { value: percentile(overhead, 99), unit: 'ms', goal: '<= 5' },
      grep_ms: { value: grepMs, unit: 'ms', goal: '<= 1.5x ripgrep' },
      ripgrep_ms: { value: rgMs, unit: 'ms', goal: 'baseline' },
      stream_events_per_s: { value: percentile(rates, 50), unit: 'events/s' },
    }, [['grep / ripgrep', 'grep_ms', 'ripgrep_ms']]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
