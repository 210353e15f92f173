// UX bench: interaction latencies a person feels, in code-server + Chromium with a fake model answering at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chatTurn } from '../test/fakes/openai';
import { type ChatRig, openChat, saveFailure, sendPrompt, startChatRig, stopChatRig } from '../test/e2e/chatRig';
import { openWorkbench, runCommand, sleep, waitFor, waitForStatusBar } from '../test/e2e/harness';
import { engineOf, percentile, writeResults } from './lib';
import { auditRowsOnScreen, chatFrame, firstOpenStages, hear, heard, install, mark, stamp, watch, webviewRoundTrips } from './ux-probes';

const WARM = 12;
const ROUNDS = 3;
const AUDIT = 5;
const FILES = ['src/ux1.js', 'src/ux2.js', 'src/ux3.js'];
const CODELENS = '.monaco-editor .codelens-decoration a';
/** The decorations on the proposed side's lines (VS Code names an extension decoration's classes ced-…). */
const MARKS = '.monaco-diff-editor .editor.modified .view-line [class*="ced-"]';
const fileText = (v: number) =>
  `// bench file\nconst pad = [${Array.from({ length: 20 }, (_, i) => i).join(', ')}];\nmodule.exports = { v: ${v}, pad };\n`;

async function main(): Promise<void> {
  const responses = [
    ...Array.from({ length: WARM + 1 }, (_, i) => chatTurn({ text: [`ftok${i} `, 'done.'], usage: { input: 10, output: 2 } })),
    ...Array.from({ length: ROUNDS }, (_, r) => [
      chatTurn({
        text: ['Editing. '],
        calls: FILES.map((p, i) => ({
          id: `call_${r}_${i}`,
          name: 'fs__edit',
          args: [JSON.stringify({ path: p, oldText: `v: ${r},`, newText: `v: ${r + 1},` })],
        })),
      }),
      chatTurn({ text: [`Round ${r} edited.`] }),
    ]).flat(),
  ];
  const rig = await startChatRig('bench-ux', { files: Object.fromEntries(FILES.map((f) => [f, fileText(0)])), responses });
  const { page } = rig;
  try {
    await openWorkbench(page, rig.cs.folderUrl(rig.ws), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 180_000);
    let chat = await openChat(page);
    const cf = await chatFrame(rig);
    await install(cf);
    await install(page);
    // The chat says a task ended slightly before the kernel frees its workflow session (a Send at once can fail with
    // WORKFLOW_SESSION_BUSY): a second's pause between tasks, outside every measured interval.
    const idle = async () => {
      await waitFor(
        'the task to finish',
        async () =>
          (await chat.locator('vscode-textarea#input').isEnabled()) && !(await chat.locator('vscode-button#stop').isVisible())
            ? true
            : undefined,
        60_000,
      );
      await sleep(1000);
    };

    // Send → first token on screen: Enter in the composer → the first streamed token painted in the transcript.
    const sends: number[] = [];
    // Its two halves, split where the fake model receives the request (its clock is the same wall clock as the page's).
    const toModel: number[] = [];
    const fromModel: number[] = [];
    // ...and the second half in three: the model's token → the host sends the chat's ops (its clock) → they reach the
    // page → painted.
    const toHost: number[] = [];
    // ...and the first in two: Enter → the host shows the person's message (its sentAt) → the model's request received.
    const enterToHost: number[] = [];
    const hostToModel: number[] = [];
    const hostToPage: number[] = [];
    const pageToPaint: number[] = [];
    for (let i = 0; i <= WARM; i++) {
      // The answer's own element: the prompt never contains the token, so the person's message cannot match.
      await watch(cf, `tok${i}`, '#log .msg.assistant', `ftok${i}\\b`);
      await hear(cf, `tok${i}`, `ftok${i} `);
      await hear(cf, `user${i}`, `answer number ${i}"`);
      await sendPrompt(page, chat, `answer number ${i}`);
      const painted = await mark(cf, `tok${i}`, `token ${i} painted`);
      const enter = await stamp(cf, 'enter');
      sends.push(painted - enter);
      const asked = rig.fake.requests.at(-1)!.at;
      toModel.push(asked - enter);
      fromModel.push(painted - asked);
      const user = await heard(cf, `user${i}`);
      if (user?.sentAt) {
        enterToHost.push(user.sentAt - enter);
        hostToModel.push(asked - user.sentAt);
      }
      const got = await heard(cf, `tok${i}`);
      if (got?.sentAt) {
        toHost.push(got.sentAt - asked);
        hostToPage.push(got.at - got.sentAt);
        pageToPaint.push(painted - got.at);
      }
      await idle();
    }
    const [first, ...warm] = sends;

    // The baseline: the same webview ↔ extension host round trip with no Airlock work in it (ux-probes.ts).
    const { trips, up, down } = await webviewRoundTrips(cf, WARM);

    const lenses: number[] = [],
      accepts: number[] = [],
      acceptLenses: number[] = [],
      merges: number[] = [];
    const seenSets = new Set<string>();
    for (let r = 0; r < ROUNDS; r++) {
      chat = await openChat(page); // the review moved the side bar to the Patches view
      await sendPrompt(page, chat, `edit round ${r}`);
      // The transcript is virtualised (older cards leave the DOM): wait for a card with a set id not seen before.
      const setId = await waitFor(
        `round ${r}'s patch set card`,
        async () => {
          const ids = (await chat.locator('.patchset .patchset-id').allInnerTexts()).map((t) => t.trim());
          return ids.find((id) => !seenSets.has(id));
        },
        90_000,
      );
      seenSets.add(setId);
      await idle();
      for (const [i, file] of FILES.entries()) {
        await runCommand(page, 'View: Close All Editors');
        const n = `${r}_${i}`;
        await watch(page, `diff${n}`, '.monaco-diff-editor .editor.modified .view-lines', `v:\\s${r + 1},`); // Monaco renders spaces as U+00A0
        await watch(page, `lens${n}`, CODELENS, '^\\s*\\S*\\s*Accept hunk\\s*$');
        if (i === 0) await chat.locator('.patchset', { hasText: setId }).locator('vscode-button[data-action="open-patchset"]').click();
        else {
          const row = page.locator('.monaco-list-row', { hasText: file }).first();
          if (!(await row.isVisible().catch(() => false)))
            await page.locator('.pane', { hasText: 'Patches' }).locator('.monaco-list-row').first().click();
          await row.click();
        }
        const diffAt = await mark(page, `diff${n}`, `${file}'s diff`);
        lenses.push(Math.max(0, (await mark(page, `lens${n}`, `${file}'s lenses`)) - diffAt));
        // What shows the click took is the hunk's "accepted" mark (a decoration, painted once the kernel has recorded the
        // decision); VS Code repaints the lens's own title later (its CodeLens refresh is debounced): recorded apart.
        await watch(page, `acc${n}`, MARKS, 'accepted', true);
        await watch(page, `accl${n}`, CODELENS, '^\\s*\\S*\\s*Accepted\\s*$');
        await page
          .locator(CODELENS, { hasText: /^\s*\S*\s*Accept hunk\s*$/ })
          .first()
          .click();
        const down = await stamp(page, 'down');
        accepts.push((await mark(page, `acc${n}`, `${file} marked accepted`)) - down);
        acceptLenses.push((await mark(page, `accl${n}`, `${file}'s lens says Accepted`)) - down);
      }
      await runCommand(page, 'Notifications: Clear All Notifications'); // the last round's "Merged" toast must not count
      await watch(page, `merged${r}`, '.notification-toast .notification-list-item-message', `Merged ${FILES.length} file\\(s\\)`);
      await page
        .locator(CODELENS, { hasText: /Merge accepted/ })
        .first()
        .click();
      merges.push((await mark(page, `merged${r}`, `round ${r} merged`)) - (await stamp(page, 'down')));
      await waitFor(
        `round ${r}'s accepted edits on disk`,
        async () => (FILES.every((f) => fs.readFileSync(path.join(rig.ws, f), 'utf8') === fileText(r + 1)) ? true : undefined),
        10_000,
      );
    }

    // Audit Log → first rows. The view lives in the Panel and is kept while hidden: the first open in a window creates
    // its webview (one sample), every later open shows the kept one again (AUDIT samples, the Panel hidden in between,
    // as a person closes it). Harness clock: the view's frame may not exist before the click.
    const openAudit = async (what: string): Promise<number> => {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>Airlock: Open Audit Log');
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Airlock: Open Audit Log' }).first();
      await row.waitFor({ timeout: 10_000 });
      const t0 = Date.now();
      await row.click();
      await waitFor(what, async () => ((await auditRowsOnScreen(page)) ? true : undefined), 30_000, 10);
      return Date.now() - t0;
    };
    const auditFirst = await openAudit('the audit rows (first open)');
    const firstOpen = await firstOpenStages(page);
    const audits: number[] = [];
    for (let i = 0; i < AUDIT; i++) {
      await runCommand(page, 'View: Hide Panel');
      await waitFor('the Audit Log hidden', async () => ((await auditRowsOnScreen(page)) ? undefined : true), 10_000);
      audits.push(await openAudit(`the audit rows (reopen ${i})`));
    }

    const fig = (v: number[], stat: 'p50' | 'median', work: string, goal?: string) => ({
      value: percentile(v, 50),
      unit: 'ms',
      stat,
      n: v.length,
      warmup: 0,
      model: 'in-process' as const,
      work,
      ...(goal ? { goal } : {}),
    });
    writeResults({
      name: 'ux',
      engine: await engineOf('docker', '/var/run/docker.sock').catch(() => null),
      baselines: {
        webview_roundtrip_p50_ms: fig(
          trips,
          'p50',
          "the same code-server's webview → extension host → webview round trip with no Airlock work: a mode change in the chat " +
            '(the page posts chat/setMode, the host answers with one small chat/ops message), change → answer in the page',
        ),
      },
      metrics: {
        send_to_first_token_p50_ms: fig(
          warm,
          'p50',
          'Enter in the chat composer → first token of the answer painted (warm: tasks 2..n; fake model answers at once)',
          '<= 50',
        ),
        first_task_first_token_ms: fig(
          [first!],
          'median',
          'the same for the first task after the kernel is ready (one sample per run)',
          '<= 500',
        ),
        lenses_after_diff_ms: fig(
          lenses,
          'p50',
          "a patch file's diff painted with the proposed text → its Accept/Reject CodeLens painted",
          '<= 200',
        ),
        accept_hunk_p50_ms: fig(
          accepts,
          'p50',
          'click on Accept hunk → the hunk marked accepted (review/decide round trip, then its editor decoration painted)',
          '<= 100',
        ),
        merge_3_files_ms: fig(
          merges,
          'median',
          'click on Merge accepted (3 files, 1 hunk each) → "Merged 3 file(s)" notification; files checked on disk',
          '<= 300',
        ),
        audit_first_rows_ms: fig(
          audits,
          'median',
          'Open Audit Log palette row clicked → first table row (an entry) on screen, the view reopened after Hide Panel (harness clock)',
          '<= 300',
        ),
        audit_first_open_ms: fig(
          [auditFirst],
          'median',
          "the same for the first open in the window, which creates the view's webview (one sample per run)",
          '<= 300',
        ),
      },
      reference: {
        audit_first_open_frame_ms: fig(
          [firstOpen.frame],
          'median',
          "first open, page clock: mousedown on the palette row → the view's content frame made (its navigation starts)",
          '',
        ),
        audit_first_open_document_ms: fig(
          [firstOpen.document],
          'median',
          "→ that frame's document answered (code-server's webview service worker, registered anew for every webview)",
          '',
        ),
        audit_first_open_row_ms: fig(
          [firstOpen.row],
          'median',
          "→ the first entry's row in the table (the page and its first screen inline: no request to the host)",
          '',
        ),
      },
      notes: [
        'code-server + Chromium through playwright-core, the packaged .vsix, a loopback fake OpenAI-compatible model answering at once; the kernel runs in its container.',
        'Page-side figures use the page clock (mousedown/Enter → first animation frame after the DOM change shows the result); audit_first_rows_ms uses the harness clock.',
        `samples: send ${warm.map((v) => v.toFixed(0)).join('/')}; lenses ${lenses.map((v) => v.toFixed(0)).join('/')}; accept ${accepts.map((v) => v.toFixed(0)).join('/')}; ` +
          `accept → lens title "Accepted" ${acceptLenses.map((v) => v.toFixed(0)).join('/')}; ` +
          `merge ${merges.map((v) => v.toFixed(0)).join('/')}; audit first open ${auditFirst}, reopen ${audits.join('/')}`,
        `send → first token in two halves (warm p50): Enter → the model's request received ${percentile(toModel.slice(1), 50).toFixed(1)} ms, ` +
          `→ its first token painted ${percentile(fromModel.slice(1), 50).toFixed(1)} ms (first task: ${toModel[0]!.toFixed(0)} + ${fromModel[0]!.toFixed(0)}); ` +
          `the second half (p50 of ${toHost.length}): the model's token → the host sends the chat's ops ${percentile(toHost, 50).toFixed(1)} ms ` +
          `(host clock, ms), → in the page ${percentile(hostToPage, 50).toFixed(1)}, → painted ${percentile(pageToPaint, 50).toFixed(1)}`,
        `the first half (p50 of ${enterToHost.length}): Enter → the host sends the person's message ${percentile(enterToHost, 50).toFixed(1)} ms, ` +
          `→ the model's request received ${percentile(hostToModel, 50).toFixed(1)} (host clock, ms)`,
        `the webview round trip with no Airlock work (baseline, p50 of ${trips.length}): ${percentile(trips, 50).toFixed(1)} ms, page → host ` +
          `${percentile(up, 50).toFixed(1)}, host → page ${percentile(down, 50).toFixed(1)} (samples ${trips.map((v) => v.toFixed(0)).join('/')}); ` +
          `send → first token beyond it: ${(percentile(warm, 50) - percentile(trips, 50)).toFixed(1)} ms`,
      ],
    });
  } catch (err) {
    await saveFailure(rig, 'bench-ux', '0 failed');
    throw err;
  } finally {
    await stopChatRig(rig);
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
