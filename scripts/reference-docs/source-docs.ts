// The protocol's JSDoc comments (on methods, events, exported schemas and object fields), read with the TypeScript AST:
// the schemas carry their documentation as comments, not `.describe()`, and the reference shows both.
import { SyntaxKind, type Node, type SourceFile } from 'typescript/unstable/ast';
import type { FieldDocs } from './schema-render';

export interface SourceDocs {
  /** By method or event name (`'task/start': [...]` entries of the method and event maps). */
  entries: Map<string, string>;
  /** By exported const name. */
  exports: Map<string, string>;
  fields: FieldDocs;
}

function leadingDoc(sf: SourceFile, node: Node): string | undefined {
  const trivia = sf.text.slice(node.pos, node.getStart(sf));
  const all = [...trivia.matchAll(/\/\*\*([\s\S]*?)\*\//g)];
  if (!all.length) return undefined;
  return all[all.length - 1][1]
    .split('\n')
    .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
    .filter(Boolean)
    .join(' ');
}

export function readSourceDocs(files: SourceFile[]): SourceDocs {
  const entries = new Map<string, string>();
  const exports = new Map<string, string>();
  const fieldRecs: { keys: Set<string>; field: string; doc: string }[] = [];
  for (const sf of files) {
    const visit = (node: Node) => {
      const n = node as any;
      if (n.kind === SyntaxKind.PropertyAssignment && n.parent?.kind === SyntaxKind.ObjectLiteralExpression) {
        const doc = leadingDoc(sf, node);
        if (doc && n.name.kind === SyntaxKind.StringLiteral && n.name.text.includes('/')) entries.set(n.name.text, doc);
        else if (doc && n.name.kind === SyntaxKind.Identifier) {
          const keys = new Set<string>(n.parent.properties.map((p: any) => p.name?.text).filter(Boolean));
          fieldRecs.push({ keys, field: n.name.text, doc });
        }
      }
      if (n.kind === SyntaxKind.VariableStatement) {
        const doc = leadingDoc(sf, node);
        for (const d of n.declarationList.declarations) if (doc && d.name.kind === SyntaxKind.Identifier) exports.set(d.name.text, doc);
      }
      node.forEachChild(visit);
    };
    visit(sf);
  }
  // A field's comment applies to a rendered object whose keys include all of its literal's keys (so `.extend()`ed objects
  // keep their base's comments); two different comments that both fit are ambiguous and neither is shown.
  const fields: FieldDocs = (keys, field) => {
    const have = new Set(keys);
    const docs = new Set(fieldRecs.filter((r) => r.field === field && [...r.keys].every((k) => have.has(k))).map((r) => r.doc));
    return docs.size === 1 ? [...docs][0] : undefined;
  };
  return { entries, exports, fields };
}
