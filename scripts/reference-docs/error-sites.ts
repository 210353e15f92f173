// Finds every place the product raises an AirlockError and resolves its code and hint with the TypeScript checker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API, type Checker, type StringLiteralType, type UnionType } from 'typescript/unstable/sync';
import { SyntaxKind, type Node, type SourceFile } from 'typescript/unstable/ast';

/** Top-level folders that are not product code: tests, tooling, build output. Every other folder with .ts files is
 * scanned, so a module moved to a new layer (e.g. core/) is still found. */
const NOT_PRODUCT = new Set(['test', 'bench', 'scripts', 'examples', 'node_modules', 'dist', 'docs', 'media']);

/** One AirlockError raise: where, which code(s) (empty when unresolvable) and the hint as text (`…` for computed parts). */
export interface ErrorSite {
  file: string;
  line: number;
  /** Name of the enclosing function, method or class member: stable across edits, unlike a line number. */
  scope: string;
  kind: 'new' | 'from' | 'payload';
  codes: string[];
  /** The code argument's source text (reported when it cannot be resolved). */
  codeText: string;
  hints: (string | null)[];
}

export function productFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'test') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|tsx)$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name)) out.push(p);
    }
  };
  for (const e of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory() && !e.name.startsWith('.') && !NOT_PRODUCT.has(e.name)) walk(path.join(root, e.name));
  }
  return out;
}

/** The string literal(s) an expression's type is: `'A'`, `ErrorCodes.X`, an imported const, `c ? 'A' : 'B'`. */
function literals(checker: Checker, node: Node): string[] {
  const t = checker.getTypeAtLocation(node);
  if (!t) return [];
  if (t.isStringLiteralType()) return [t.value];
  if (t.isUnionType()) {
    const parts = (t as UnionType).getTypes();
    if (parts.length && parts.every((p) => p.isStringLiteralType())) return parts.map((p) => (p as StringLiteralType).value).sort();
  }
  return [];
}

/** A hint's text: literal parts verbatim, computed parts as `…`; a conditional gives each branch. */
function hintTexts(checker: Checker, node: Node | undefined): (string | null)[] {
  if (!node) return [null];
  const n = node as Node & Record<string, any>;
  switch (n.kind) {
    case SyntaxKind.StringLiteral:
    case SyntaxKind.NoSubstitutionTemplateLiteral:
      return [n.text];
    case SyntaxKind.TemplateExpression:
      return [n.head.text + n.templateSpans.map((s: any) => `…${s.literal.text}`).join('')];
    case SyntaxKind.ParenthesizedExpression:
      return hintTexts(checker, n.expression);
    case SyntaxKind.ConditionalExpression:
      return [...hintTexts(checker, n.whenTrue), ...hintTexts(checker, n.whenFalse)];
    case SyntaxKind.BinaryExpression:
      if (n.operatorToken.kind === SyntaxKind.PlusToken) {
        const l = hintTexts(checker, n.left),
          r = hintTexts(checker, n.right);
        return l.flatMap((a) => r.map((b) => `${a ?? ''}${b ?? ''}`.replace(/…+/g, '…')));
      }
      if (n.operatorToken.kind === SyntaxKind.QuestionQuestionToken || n.operatorToken.kind === SyntaxKind.BarBarToken) {
        return [...hintTexts(checker, n.left), ...hintTexts(checker, n.right)];
      }
      break;
    case SyntaxKind.Identifier:
      if (n.text === 'undefined') return [null];
  }
  const lit = literals(checker, node);
  return lit.length ? lit : ['…'];
}

function scopeName(node: Node): string {
  for (let p: any = node.parent; p; p = p.parent) {
    const name = p.name?.kind === SyntaxKind.Identifier ? p.name.text : undefined;
    if (
      name &&
      (p.kind === SyntaxKind.FunctionDeclaration ||
        p.kind === SyntaxKind.MethodDeclaration ||
        p.kind === SyntaxKind.VariableDeclaration ||
        p.kind === SyntaxKind.PropertyDeclaration ||
        p.kind === SyntaxKind.Constructor ||
        p.kind === SyntaxKind.GetAccessor ||
        p.kind === SyntaxKind.ClassDeclaration)
    ) {
      return name;
    }
    if (p.kind === SyntaxKind.Constructor) return 'constructor';
  }
  return '(module)';
}

const isAirlockError = (n: any) => n?.kind === SyntaxKind.Identifier && n.text === 'AirlockError';
const CODE_RE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^INTERNAL$/;

function sitesIn(sf: SourceFile, checker: Checker, rel: string, fromDefault: string[]): ErrorSite[] {
  const out: ErrorSite[] = [];
  const line = (n: Node) => sf.getLineAndCharacterOfPosition(n.getStart?.(sf) ?? n.pos).line + 1;
  const codeOf = (arg: Node | undefined, dflt: string[]) => (arg ? literals(checker, arg) : dflt);
  const text = (arg: Node | undefined) => (arg ? sf.text.slice(arg.pos, arg.end).trim() : '(default)');
  const visit = (node: Node) => {
    const n = node as any;
    if (n.kind === SyntaxKind.NewExpression && isAirlockError(n.expression)) {
      const [code, , hint] = n.arguments ?? [];
      out.push({
        file: rel,
        line: line(node),
        scope: scopeName(node),
        kind: 'new',
        codes: codeOf(code, []),
        codeText: text(code),
        hints: hintTexts(checker, hint),
      });
    } else if (
      n.kind === SyntaxKind.CallExpression &&
      n.expression.kind === SyntaxKind.PropertyAccessExpression &&
      isAirlockError(n.expression.expression) &&
      n.expression.name.text === 'from'
    ) {
      const [, code, hint] = n.arguments ?? [];
      out.push({
        file: rel,
        line: line(node),
        scope: scopeName(node),
        kind: 'from',
        codes: codeOf(code, fromDefault),
        codeText: text(code),
        hints: hintTexts(checker, hint),
      });
    } else if (n.kind === SyntaxKind.ObjectLiteralExpression) {
      // An error payload built by hand (`{ code, message, hint }` sent on the wire): counted when its code is a known literal.
      const props = new Map<string, any>();
      for (const p of n.properties) {
        if (p.kind === SyntaxKind.PropertyAssignment && p.name.kind === SyntaxKind.Identifier) props.set(p.name.text, p);
      }
      if (props.has('code') && props.has('message')) {
        const codes = literals(checker, props.get('code').initializer).filter((c) => CODE_RE.test(c));
        if (codes.length) {
          out.push({
            file: rel,
            line: line(node),
            scope: scopeName(node),
            kind: 'payload',
            codes,
            codeText: text(props.get('code').initializer),
            hints: hintTexts(checker, props.get('hint')?.initializer),
          });
        }
      }
    }
    node.forEachChild(visit);
  };
  visit(sf);
  return out;
}

export type FileAt = (file: string) => { sf: SourceFile; checker: Checker };

/** One TypeScript session over the project (tsconfig.json) plus `files` (so files outside its `include` are checked too). */
export function openProgram(root: string, files: string[]): { at: FileAt; close: () => void } {
  const api = new API({ cwd: root });
  try {
    const snap = api.updateSnapshot({ openProjects: [path.join(root, 'tsconfig.json')], openFiles: files });
    const at: FileAt = (file) => {
      const project = snap.getDefaultProjectForFile(file);
      const sf = project?.program.getSourceFile(file);
      if (!project || !sf) throw new Error(`TypeScript did not load ${file}`);
      return { sf, checker: project.checker };
    };
    return { at, close: () => api.close() };
  } catch (err) {
    api.close();
    throw err;
  }
}

/** Every raise site in `files` (the product tree), sorted by file and line. */
export function findErrorSites(root: string, files: string[], at: FileAt): ErrorSite[] {
  const fromDefault = defaultFromCode(at(path.join(root, 'protocol', 'src', 'errors.ts')));
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  return files
    .flatMap((f) => {
      const { sf, checker } = at(f);
      return sitesIn(sf, checker, rel(f), fromDefault);
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** `AirlockError.from(err)` without a code uses the default of `from`'s `code` parameter: read it, don't restate it. */
function defaultFromCode({ sf, checker }: { sf: SourceFile; checker: Checker }): string[] {
  let found: string[] = [];
  const visit = (node: Node) => {
    const n = node as any;
    if (n.kind === SyntaxKind.MethodDeclaration && n.name?.text === 'from' && n.parent?.name?.text === 'AirlockError') {
      const init = n.parameters[1]?.initializer;
      if (init) found = literals(checker, init);
    }
    node.forEachChild(visit);
  };
  visit(sf);
  if (!found.length) throw new Error('cannot read the default code of AirlockError.from in protocol/src/errors.ts');
  return found;
}
