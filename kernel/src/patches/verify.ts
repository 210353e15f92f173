// Verify before merge: the accepted subset of a set (as the next merge would write it) is built in a fresh output
// volume and the project's tests run on it in a fresh code-executor sandbox; the result is audited and kept with the set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AirlockError, isAbortError } from '../../../protocol/src/errors';
import type { ReviewState } from '../../../protocol/src/patches';
import type { Verification } from '../../../protocol/src/provenance';
import { sha256 } from '../../../core/src/apply/file-hash';
import { SandboxTestRunner, type SandboxTestRunnerOptions } from '../workflow/sandbox-test-runner';
import type { TestRunResult } from '../workflow/test-runner';
import type { PatchService } from './service';
import { createOutputVolume, removeOutputVolume, type VolumeEngine } from './volumes';
import { acceptedTreeDigest, writeAcceptedTree } from './verify-tree';

/** What a verification uses of the kernel (a task's run deps have all of it). */
export interface VerifyDeps {
  workspace: string;
  outputRoot: string;
  hostPath: (kernelPath: string) => string;
  volumeEngine: VolumeEngine;
  runtime: SandboxTestRunnerOptions['runtime'];
  patches: PatchService;
  /** The policy files in force (their digest goes into the record). */
  policyFiles?: readonly string[];
}

export interface VerifyOptions {
  /** The decisions to verify instead of the recorded ones (auto-merge verifies "everything accepted" before deciding). */
  review?: ReviewState;
  template?: string;
  /** The test command (argv); detected in the sandbox like the workflow's guard runs when absent. */
  command?: readonly string[];
  timeoutMs?: number;
}

const MAX_FAILING = 100;

export async function verifyAccepted(d: VerifyDeps, setId: string, signal: AbortSignal, o: VerifyOptions = {}): Promise<Verification> {
  const plan = await d.patches.plan(setId, signal, o.review);
  if (!plan.ops.length) {
    throw new AirlockError(
      'PATCH_VERIFY_NOTHING',
      `nothing accepted in ${setId} would change the workspace`,
      'accept files or hunks first (`airlock review accept`)',
    );
  }
  const treeDigest = acceptedTreeDigest(plan);
  const template = o.template ?? 'code-executor';
  const started = Date.now();
  // Deletions need a copied snapshot: an overlay upper dir cannot hide a workspace file without a whiteout device.
  const overlay = plan.ops.some((x) => x.type === 'delete') ? 'off' : 'auto';
  const vol = await createOutputVolume(
    `verify-${randomBytes(6).toString('hex')}`,
    {
      engine: d.volumeEngine,
      outputRoot: d.outputRoot,
      workspace: d.workspace,
      hostPath: d.hostPath,
      overlay,
    },
    signal,
  );
  let image: string | undefined;
  let run: TestRunResult | undefined;
  let error: Verification['error'];
  try {
    const root = path.join(vol.dir, vol.kind === 'overlay' ? 'upper' : 'snapshot');
    writeAcceptedTree(root, d.workspace, plan.ops, (hash) => readWholeBlob(d.patches, setId, hash));
    const rt = d.runtime;
    // The image the sandbox was made from is part of the record; the runner does not report it, so it is caught here.
    const seen: SandboxTestRunnerOptions['runtime'] = {
      create: async (x) => {
        const sb = await rt.create(x);
        image = sb.image;
        return sb;
      },
      exec: (...a) => rt.exec(...a),
      destroy: (...a) => rt.destroy(...a),
      release: (...a) => rt.release(...a),
      template: (n) => rt.template(n),
    };
    const runner = new SandboxTestRunner({
      runtime: seen,
      template,
      outputVolume: vol.volumeName,
      command: o.command,
      timeoutMs: o.timeoutMs,
    });
    run = await runner.run(signal);
  } catch (err) {
    if (signal.aborted || isAbortError(err)) throw err;
    const e = AirlockError.from(err, 'PATCH_VERIFY_FAILED');
    error = { code: e.code, message: e.message.slice(0, 2000) };
  } finally {
    await removeOutputVolume(vol, d.volumeEngine).catch(() => undefined);
  }
  const failing = (run?.tests ?? [])
    .filter((t) => t.status === 'failed')
    .map((t) => t.name.slice(0, 500))
    .slice(0, MAX_FAILING);
  const v: Verification = {
    setId,
    treeDigest,
    hunks: [...plan.appliedHunks].sort(),
    outcome: !run ? 'error' : run.failed > 0 ? 'failed' : 'passed',
    passed: run?.passed ?? 0,
    failed: run?.failed ?? 0,
    failing,
    template,
    ...(image ? { image } : {}),
    ...(d.policyFiles ? { policyDigest: policyDigest(d.policyFiles) } : {}),
    exitCode: run?.exitCode ?? null,
    durationMs: Date.now() - started,
    at: Date.now(),
    ...(error ? { error } : {}),
  };
  // A test run with no test in it proves nothing.
  if (v.outcome === 'passed' && v.passed === 0)
    Object.assign(v, { outcome: 'error', error: { code: 'PATCH_VERIFY_NO_TESTS', message: 'the test run reported no passing test' } });
  await d.patches.recordVerification(v);
  return v;
}

/** A set's full-file content by hash, whole (a follow-up's seed reads it too, task-seed.ts). */
export function readWholeBlob(p: Pick<PatchService, 'readBlob'>, setId: string, hash: string): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; ;) {
    const b = p.readBlob(setId, hash, off, 4 * 1024 * 1024);
    if (!b.length) break;
    parts.push(b);
    off += b.length;
  }
  return Buffer.concat(parts);
}

/** sha256 over the policy files in force, by path order (what the merge was judged by). */
export function policyDigest(files: readonly string[]): string {
  const h = [...files].sort().map((f) => {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      text = '(unreadable)';
    }
    return `${f}\n${sha256(text)}`;
  });
  return `sha256:${sha256(h.join('\n'))}`;
}
