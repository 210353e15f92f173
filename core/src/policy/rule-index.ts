// The rule index: rules bucketed by action, then by literal resource prefix, so a decision never scans every rule.
import { type ResourceKind, resourceKind } from './actions';
import { resourceSegments } from './glob';
import type { CompiledRule } from './rules';

interface Node {
  rules: CompiledRule[];
  children: Map<string, Node> | null;
}

const node = (): Node => ({ rules: [], children: null });

export class RuleIndex {
  private readonly byAction = new Map<string, Node>();

  constructor(rules: readonly CompiledRule[]) {
    for (const r of rules) {
      for (const action of r.actions) {
        let root = this.byAction.get(action);
        if (!root) this.byAction.set(action, (root = node()));
        const kind = resourceKind(action)!;
        const pats = r.resources[kind];
        if (!pats) {
          push(root, r);
          continue;
        }
        for (const p of pats) {
          let n = root;
          for (const seg of p.prefix) {
            if (!n.children) n.children = new Map();
            let c = n.children.get(seg);
            if (!c) n.children.set(seg, (c = node()));
            n = c;
          }
          push(n, r);
        }
      }
    }
  }

  /**
   * Collects the rule lists that could match: those on the path from the action's root along the resource's
   * literal segments. Pushes into `out` (reused by the caller) to keep the hot path allocation-free. `named`: skip
   * the root (rules with no resource or no literal prefix, e.g. a catch-all), for readings of a command.
   */
  collect(action: string, kind: ResourceKind, value: string, out: CompiledRule[][], named = false): void {
    let n = this.byAction.get(action);
    if (!n) return;
    if (n.rules.length && !named) out.push(n.rules);
    if (kind === 'path') {
      if (value === '.') return;
      let start = 0;
      while (n.children) {
        const slash = value.indexOf('/', start);
        n = n.children.get(slash < 0 ? value.slice(start) : value.slice(start, slash));
        if (!n) return;
        if (n.rules.length) out.push(n.rules);
        if (slash < 0) return;
        start = slash + 1;
      }
      return;
    }
    if (!n.children) return;
    const key = resourceSegments(kind, value)[0];
    if (key === undefined) return;
    const c = n.children.get(key);
    if (c?.rules.length) out.push(c.rules);
  }

  /** Every rule list of the action (for a resource that cannot be known, which any pattern may match). */
  collectAll(action: string, out: CompiledRule[][]): void {
    const walk = (n: Node): void => {
      if (n.rules.length) out.push(n.rules);
      if (n.children) for (const c of n.children.values()) walk(c);
    };
    const root = this.byAction.get(action);
    if (root) walk(root);
  }
}

function push(n: Node, r: CompiledRule): void {
  if (n.rules[n.rules.length - 1] !== r) n.rules.push(r);
}
