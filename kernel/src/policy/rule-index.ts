// The rule index: rules bucketed by action, then by literal resource prefix, so a decision never scans every rule.
import { ResourceKind, resourceKind } from './actions';
import { resourceSegments } from './glob';
import type { CompiledRule } from './rules';

interface Node { rules: CompiledRule[]; children: Map<string, Node> | null }

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
        if (!pats) { push(root, r); continue; }
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

  /** Calls `visit` for every rule that could match: those on the path from the action's root along the resource. */
  candidates(action: string, kind: ResourceKind, value: string, absolute: boolean, visit: (r: CompiledRule) => void): void {
    let n = this.byAction.get(action);
    if (!n) return;
    for (const r of n.rules) visit(r);
    const segs = resourceSegments(kind, value);
    // An absolute '/etc/x' splits to ['', 'etc', 'x']: the '' segment keeps absolute patterns apart from relative ones.
    void absolute;
    for (const seg of segs) {
      n = n.children?.get(seg);
      if (!n) return;
      for (const r of n.rules) visit(r);
    }
  }
}

function push(n: Node, r: CompiledRule): void {
  if (n.rules[n.rules.length - 1] !== r) n.rules.push(r);
}
