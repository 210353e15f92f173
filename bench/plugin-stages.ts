// Where a plugin's cold start goes, read from the kernel's own audit trail (ms timestamps): the audited transitions
// before its sandbox, the sandbox's creation, and its process up to ready (node, package check, MCP initialise + list).

/** The fields of an audit entry the breakdown reads. */
export interface StageEntry {
  seq: number;
  time: number;
  action: string;
  resource: string;
  payload?: unknown;
}

export interface ColdStages {
  /** plugin.discovered → plugin.process.start: the transitions recorded (durably) before anything runs. */
  recordedMs: number;
  /** sandbox.creating → sandbox.ready of the plugin's own sandbox. */
  sandboxMs: number;
  /** sandbox.ready → plugin.ready: the exec, node, the package check, the MCP handshake and tools/list. */
  processMs: number;
  totalMs: number;
}

/**
 * One row per start of `plugin` that reached ready, in order. The plugin's sandbox is the one its `plugin.ready` names
 * (other sandboxes, e.g. warm pools refilling, may be created meanwhile); a start without all its entries is skipped.
 */
export function coldStages(entries: StageEntry[], plugin: string): ColdStages[] {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const res = `plugin:${plugin}`;
  const sandboxAt = (id: string, to: string) => sorted.find((e) => e.resource === id && e.action === `sandbox.${to}`)?.time;
  const out: ColdStages[] = [];
  let discovered: number | undefined;
  let started: number | undefined;
  for (const e of sorted) {
    if (e.resource !== res) continue;
    if (e.action === 'plugin.discovered') [discovered, started] = [e.time, undefined];
    else if (e.action === 'plugin.process.start') started = e.time;
    else if (e.action === 'plugin.ready' && discovered !== undefined && started !== undefined) {
      const id = (e.payload as { sandbox?: unknown } | undefined)?.sandbox;
      const creating = typeof id === 'string' ? sandboxAt(id, 'creating') : undefined;
      const ready = typeof id === 'string' ? sandboxAt(id, 'ready') : undefined;
      if (creating !== undefined && ready !== undefined) {
        out.push({
          recordedMs: started - discovered,
          sandboxMs: ready - creating,
          processMs: e.time - ready,
          totalMs: e.time - discovered,
        });
      }
      discovered = undefined;
    }
  }
  return out;
}
