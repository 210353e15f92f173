// What the status bar says for a kernel state and its sandbox checks (pure, so it is unit-tested without VS Code).
import type { KernelState } from '../../../bootstrap';
import type { SandboxCheck } from '../../../protocol/src/sandbox-health';

export type StatusState = KernelState | { type: 'idle' } | { type: 'untrusted' };
/** Images as the extension sees them for a ready kernel: not yet checked, being prepared, or their preparation failed.
 * Undefined once the sandbox checks have come in (they then say whether images are missing). */
export type ImagesState =
  { type: 'unchecked' } | { type: 'preparing'; detail: string } | { type: 'failed'; message: string; hint?: string };

/** [icon, text, tooltip]. A ready kernel whose sandboxes cannot run (no image, pool failed), or whose images are
 * unchecked or being prepared, is not called "ready". */
export function statusText(s: StatusState, sandbox: readonly SandboxCheck[] = [], images?: ImagesState): [string, string, string] {
  switch (s.type) {
    case 'idle':
      return ['$(shield)', 'Airlock', 'Airlock kernel not started'];
    case 'untrusted':
      return ['$(workspace-untrusted)', 'Airlock: off', 'Airlock stays disabled in untrusted workspaces'];
    case 'starting':
      return ['$(loading~spin)', 'Airlock: starting', s.detail];
    case 'ready': {
      if (images) return imagesText(images);
      const bad = sandbox.filter((c) => !c.ok);
      if (!bad.length) return ['$(shield)', 'Airlock: ready', 'Airlock kernel is running'];
      const tip = bad.map((c) => `${c.detail}${c.hint ? `\n${c.hint}` : ''}`).join('\n\n');
      return ['$(warning)', `Airlock: ${bad.map((c) => c.status ?? c.name).join(', ')}`, `The kernel runs, but tasks cannot:\n${tip}`];
    }
    case 'restarting':
      return ['$(sync~spin)', 'Airlock: restarting', `restart attempt ${s.attempt}: ${s.reason}`];
    case 'failed':
      return ['$(error)', 'Airlock: failed', `${s.error.message}${s.error.hint ? `\n${s.error.hint}` : ''}`];
    case 'stopped':
      return ['$(circle-slash)', 'Airlock: stopped', 'Airlock kernel is stopped'];
    default: {
      const never: never = s;
      return never;
    }
  }
}

function imagesText(i: ImagesState): [string, string, string] {
  switch (i.type) {
    case 'unchecked':
      return ['$(loading~spin)', 'Airlock: checking images', 'The kernel runs; checking that every sandbox image is there'];
    case 'preparing':
      return ['$(loading~spin)', 'Airlock: preparing images', `Building the sandbox images: ${i.detail}`];
    case 'failed':
      return [
        '$(error)',
        'Airlock: images failed',
        `Preparing the sandbox images failed: ${i.message}${i.hint ? `\n${i.hint}` : ''}` + '\nRun Airlock: Prepare Images to try again',
      ];
    default: {
      const never: never = i;
      return never;
    }
  }
}
