import { describe, expect, it } from 'vitest';
import { CHAT_TEMPLATES, renderMessage } from './message.js';
import { compileTemplate, renderHtml, renderText, type Variables } from './template.js';

const vars: Variables = {
  'channel.name': 'Alice',
  'channel.id': 'alice',
  'channel.url': 'https://live.example.org/alice',
  'channel.platform': 'owncast',
  title: 'Tea & <code>',
  tags: '',
  event: 'live',
  duration: '1h5m',
  startedAt: '2026-03-01T18:00:00.000Z',
  at: '2026-03-01T19:05:00.000Z',
};

const render = (source: string, html = false): string => {
  const compiled = compileTemplate(source);
  if (!compiled.ok) throw new Error(compiled.error);
  return html ? renderHtml(compiled.template, vars) : renderText(compiled.template, vars);
};

describe('templates', () => {
  it.each([
    ['{{channel.name}} is live: {{title}}', 'Alice is live: Tea & <code>'],
    ['{{ channel.name }}!', 'Alice!'],
    ['{{#tags}}Tags: {{tags}}{{/tags}}done', 'done'],
    ['{{^tags}}no tags{{/tags}}', 'no tags'],
    [
      '{{#duration}}for {{duration}}{{#title}} ({{title}}){{/title}}{{/duration}}',
      'for 1h5m (Tea & <code>)',
    ],
    ['plain text', 'plain text'],
  ])('renders %s', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  it.each([
    ['{{chanel.name}}', /unknown variable "chanel.name"/],
    ['{{constructor}}', /unknown variable/],
    ['{{title.length}}', /unknown variable/],
    ['{{#title}}open', /never closed/],
    ['{{#title}}x{{/tags}}', /closes/],
    ['{{/title}}', /closes nothing/],
    ['{{title}', /unbalanced/],
    ['{{}}', /unknown variable ""/],
    ['x'.repeat(4_001), /longer than/],
  ])('rejects %s at compile time', (source, error) => {
    const compiled = compileTemplate(source);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.error).toMatch(error);
  });

  it('escapes values and text in HTML and links the channel URL', () => {
    expect(render('<b>{{title}}</b> {{channel.url}}', true)).toBe(
      '&lt;b&gt;Tea &amp; &lt;code&gt;&lt;/b&gt; <a href="https://live.example.org/alice">https://live.example.org/alice</a>',
    );
  });

  it('uses a subscription override for its event only', () => {
    const override = compileTemplate('{{channel.name}} is on: {{title}}');
    if (!override.ok) throw new Error(override.error);
    const base = {
      id: 'x',
      channel: { id: 'alice', platform: 'owncast', url: 'https://e.org', name: null },
      title: 'T',
      tags: [],
      startedAt: 0,
      at: 3_600_000,
    };
    expect(
      renderMessage({ ...base, event: 'live' }, CHAT_TEMPLATES, { live: override.template }).text,
    ).toBe('alice is on: T');
    expect(
      renderMessage({ ...base, event: 'offline' }, CHAT_TEMPLATES, { live: override.template })
        .text,
    ).toBe('⚫ alice was live for 1h: T');
  });
});

describe('template compilation is linear (issue 22: the TAG regex backtracked polynomially)', () => {
  // The old tag pattern, kept here only as the reference the linear tokenizer must agree with.
  // eslint-disable-next-line regexp/no-super-linear-backtracking -- reference, short inputs only
  const OLD_TAG = /\{\{\s*([#^/]?)\s*([^{}]*?)\s*\}\}/g;
  const reference = (source: string): string => {
    const parts: string[] = [];
    let last = 0;
    for (const match of source.matchAll(OLD_TAG)) {
      const text = source.slice(last, match.index);
      if (text.includes('{{') || text.includes('}}')) return 'error';
      parts.push(`t:${text}`, `g:${match[1] ?? ''}:${match[2] ?? ''}`);
      last = match.index + match[0].length;
    }
    const rest = source.slice(last);
    if (rest.includes('{{') || rest.includes('}}')) return 'error';
    return [...parts, `t:${rest}`].join('|');
  };
  const tokens = (source: string): string => {
    // Every variable name is accepted by wrapping each tag name into a known one afterwards.
    const compiled = compileTemplate(source);
    if (!compiled.ok) return compiled.error.startsWith('unbalanced') ? 'error' : compiled.error;
    return 'ok';
  };

  it('compiles 4,000 characters of "{{" and spaces at once (the 560-byte PATCH froze the process)', () => {
    for (const source of [
      `{{${' '.repeat(3_998)}`,
      `{{#${' '.repeat(3_997)}`,
      '{{ '.repeat(1_333),
      `{{${' \t'.repeat(1_999)}`,
    ]) {
      const compiled = compileTemplate(source);
      expect(compiled.ok).toBe(false);
    }
  });

  it('finds the same tags as the old pattern on every short string of braces, sigils and spaces', () => {
    const alphabet = ['{', '}', ' ', '#', '/', 'title', 'x'];
    let seed = 22;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      let source = '';
      const length = next() % 12;
      for (let j = 0; j < length; j++) source += alphabet[next() % alphabet.length]!;
      const expected = reference(source);
      const actual = tokens(source);
      // The reference only splits; balanced sources must compile unless a name or nesting is wrong.
      if (expected === 'error') expect(actual, source).toBe('error');
      else expect(actual, source).not.toBe('error');
    }
  });
});
