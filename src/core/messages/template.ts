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
const TAG = /\{\{\s*([#^/]?)\s*([^{}]*?)\s*\}\}/g;
const isVariable = (name: string): name is Variable =>
  (VARIABLES as readonly string[]).includes(name);

export function compileTemplate(source: string): CompileResult {
  if (source.length > MAX_LENGTH)
    return { ok: false, error: `is longer than ${MAX_LENGTH} characters` };
  const root: Node[] = [];
  const stack: { name: Variable; inverted: boolean; body: Node[] }[] = [];
  const current = (): Node[] => stack.at(-1)?.body ?? root;
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    const [whole, sigil = '', rawName = ''] = match;
    const text = source.slice(last, match.index);
    if (text.includes('{{') || text.includes('}}'))
      return { ok: false, error: `unbalanced braces near "${text.slice(0, 20)}"` };
    if (text !== '') current().push({ kind: 'text', text });
    last = match.index + whole.length;
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
  if (rest.includes('{{') || rest.includes('}}'))
    return { ok: false, error: `unbalanced braces near "${rest.slice(0, 20)}"` };
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
