/**
 * A small, safe template language for notification texts: `{{channel.name}} is live: {{title}}`.
 *
 * - `{{name}}` inserts a variable; only the names in `VARIABLES` exist, anything else is a compile
 *   error (so a typo fails at config load, not at 3 a.m. in a message).
 * - `{{#name}}…{{/name}}` keeps its inside only when the variable is non-empty, `{{^name}}…{{/name}}`
 *   only when it is empty. Sections nest.
 * - Nothing is evaluated: no expressions, no calls, no property walks beyond the fixed names.
 */

export const VARIABLES = [
  'channel.name',
  'channel.id',
  'channel.url',
  'channel.platform',
  'title',
  'tags',
  'event',
  'duration',
  'startedAt',
  'at',
] as const;
export type Variable = (typeof VARIABLES)[number];
export type Variables = Readonly<Record<Variable, string>>;

/** Variables that hold a link: HTML output makes them anchors. */
const LINKS: ReadonlySet<Variable> = new Set(['channel.url']);

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'var'; readonly name: Variable }
  | {
      readonly kind: 'section';
      readonly name: Variable;
      readonly inverted: boolean;
      readonly body: readonly Node[];
    };

/** A compiled template (keeps its source for messages and for equality). */
export interface Template {
  readonly source: string;
  readonly nodes: readonly Node[];
}

export type CompileResult =
  | { readonly ok: true; readonly template: Template }
  | { readonly ok: false; readonly error: string };

const MAX_LENGTH = 4_000;
const isVariable = (name: string): name is Variable =>
  (VARIABLES as readonly string[]).includes(name);
const isBrace = (c: string | undefined): boolean => c === '{' || c === '}';

/** One `{{…}}` tag found by `nextTag`: where it starts and ends, and its trimmed sigil and name. */
interface Tag {
  readonly start: number;
  readonly end: number;
  readonly sigil: string;
  readonly name: string;
}

/**
 * The first tag at or after `from`, or `undefined` when no `}}` follows. A tag is `{{`, text
 * without braces, `}}`; it is found from its first `}}` backwards, so every character is looked
 * at a bounded number of times: compiling is linear in the length of the source whatever it holds
 * (a backtracking regular expression here froze the process on `{{` followed by spaces).
 * `null`: a `}}` that no `{{` opens.
 */
function nextTag(source: string, from: number): Tag | null | undefined {
  const close = source.indexOf('}}', from);
  if (close === -1) return undefined;
  let p = close;
  while (p > from && !isBrace(source[p - 1])) p--;
  if (p - 2 < from || source[p - 1] !== '{' || source[p - 2] !== '{') return null;
  const inner = source.slice(p, close).trim();
  const sigil =
    inner.startsWith('#') || inner.startsWith('^') || inner.startsWith('/') ? inner[0]! : '';
  return { start: p - 2, end: close + 2, sigil, name: inner.slice(sigil.length).trimStart() };
}

export function compileTemplate(source: string): CompileResult {
  if (source.length > MAX_LENGTH)
    return { ok: false, error: `is longer than ${MAX_LENGTH} characters` };
  const root: Node[] = [];
  const stack: { name: Variable; inverted: boolean; body: Node[] }[] = [];
  const current = (): Node[] => stack.at(-1)?.body ?? root;
  const unbalanced = (at: number): CompileResult => ({
    ok: false,
    error: `unbalanced braces near "${Array.from(source.slice(at, at + 20)).join('')}"`,
  });
  let last = 0;
  for (let tag = nextTag(source, 0); tag !== undefined; tag = nextTag(source, last)) {
    if (tag === null) return unbalanced(last);
    const text = source.slice(last, tag.start);
    if (text.includes('{{')) return unbalanced(last);
    if (text !== '') current().push({ kind: 'text', text });
    last = tag.end;
    const { sigil, name: rawName } = tag;
    if (!isVariable(rawName)) {
      return { ok: false, error: `unknown variable "${rawName}" (known: ${VARIABLES.join(', ')})` };
    }
    if (sigil === '') current().push({ kind: 'var', name: rawName });
    else if (sigil === '/') {
      const open = stack.pop();
      if (open?.name !== rawName)
        return {
          ok: false,
          error: `{{/${rawName}}} closes ${open ? `{{#${open.name}}}` : 'nothing'}`,
        };
      current().push({
        kind: 'section',
        name: open.name,
        inverted: open.inverted,
        body: open.body,
      });
    } else stack.push({ name: rawName, inverted: sigil === '^', body: [] });
  }
  const rest = source.slice(last);
  if (rest.includes('{{')) return unbalanced(last);
  if (rest !== '') current().push({ kind: 'text', text: rest });
  const open = stack.at(-1);
  if (open) return { ok: false, error: `{{#${open.name}}} is never closed` };
  return { ok: true, template: { source, nodes: root } };
}

/** Compiles a template that is part of the program (defaults); a bad one is a bug. */
export function mustCompile(source: string): Template {
  const result = compileTemplate(source);
  if (!result.ok) throw new Error(`bad built-in template "${source}": ${result.error}`);
  return result.template;
}

/** Renders as plain text. */
export function renderText(template: Template, vars: Variables): string {
  return renderNodes(
    template.nodes,
    vars,
    (s) => s,
    (_name, value) => value,
  );
}

/** Renders as HTML: literal text and values escaped, link variables as anchors; newlines kept. */
export function renderHtml(template: Template, vars: Variables): string {
  return renderNodes(template.nodes, vars, escapeHtml, (name, value) =>
    LINKS.has(name) && /^https?:\/\//i.test(value)
      ? `<a href="${escapeHtml(value)}">${escapeHtml(value)}</a>`
      : escapeHtml(value),
  );
}

function renderNodes(
  nodes: readonly Node[],
  vars: Variables,
  text: (s: string) => string,
  value: (name: Variable, value: string) => string,
): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += text(node.text);
        break;
      case 'var':
        out += value(node.name, vars[node.name]);
        break;
      case 'section':
        if ((vars[node.name] !== '') !== node.inverted)
          out += renderNodes(node.body, vars, text, value);
        break;
    }
  }
  return out;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
