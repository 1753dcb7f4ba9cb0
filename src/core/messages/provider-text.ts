import type { Notification } from '../notification.js';
import { clipUnits, clipUtf8, wellFormed } from '../text.js';
import type { Message } from './message.js';

/**
 * What one provider accepts. `unit` is how it counts: UTF-16 code units (Telegram's "characters",
 * Discord) or UTF-8 bytes (ntfy, Matrix events). Left out: no limit for that part.
 */
export interface MessageLimits {
  readonly unit: 'utf16' | 'utf8';
  readonly headline?: number;
  readonly text?: number;
  readonly html?: number;
}

const ELLIPSIS = '…';

/** How long `s` is in `unit`. */
function measure(unit: MessageLimits['unit']): (s: string) => number {
  return unit === 'utf8' ? (s) => Buffer.byteLength(s) : (s) => s.length;
}

/**
 * `message` within a provider's limits: texts cut on a code point, HTML cut between tags and
 * entities (an open link is closed), each marked with `…`. A title from a platform can be up to
 * the ingestion limit; the provider would refuse the whole notice, or cut it mid-character.
 */
export function clipMessage(message: Message, limits: MessageLimits): Message {
  const plain = (text: string, max: number | undefined) =>
    max === undefined
      ? text
      : limits.unit === 'utf8'
        ? clipUtf8(text, max, ELLIPSIS)
        : clipUnits(text, max, ELLIPSIS);
  return {
    ...message,
    headline: plain(message.headline, limits.headline),
    text: plain(message.text, limits.text),
    html:
      limits.html === undefined ? message.html : clipHtml(message.html, limits.html, limits.unit),
  };
}

/** The longest HTML entity `renderHtml` writes (`&quot;`), with room to spare. */
const MAX_ENTITY = 10;

/**
 * At most `max` (in `unit`) of `html` as written by `renderHtml`: escaped text and `<a>` links.
 * Cut before a tag, an entity or a code point, never inside one; a link left open is closed.
 * Linear in the length of `html`.
 */
export function clipHtml(html: string, max: number, unit: MessageLimits['unit']): string {
  const size = measure(unit);
  if (size(html) <= max) return html;
  const budget = max - size(ELLIPSIS) - size('</a>');
  let out = '';
  let used = 0;
  let open = false;
  for (let i = 0; i < html.length;) {
    let token: string;
    if (html[i] === '<') {
      const end = html.indexOf('>', i);
      if (end === -1) break;
      token = html.slice(i, end + 1);
    } else if (html[i] === '&') {
      let end = i + 1;
      while (end < html.length && end - i <= MAX_ENTITY && html[end] !== ';') end++;
      token = html[end] === ';' ? html.slice(i, end + 1) : '&';
    } else {
      token = String.fromCodePoint(html.codePointAt(i)!);
    }
    const cost = size(token);
    if (used + cost > budget) break;
    if (token.startsWith('<a ')) open = true;
    else if (token === '</a>') open = false;
    out += token;
    used += cost;
    i += token.length;
  }
  return wellFormed(`${out}${open ? '</a>' : ''}${ELLIPSIS}`);
}

/**
 * Characters Discord reads as Markdown inside a line: emphasis, code, spoilers and masked links
 * (`[text](url)`). Line-start forms (`>`, `#`, `-`) only change how a title looks.
 */
const MARKDOWN = /[\\*_~`|[\]()]/g;

/** `text` with every Markdown character escaped, so Discord shows it as written. */
export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN, (c) => `\\${c}`);
}

/**
 * The notification with the texts a platform controls (title, channel name) escaped for
 * Markdown: a title like `[click](https://evil)` rendered as a link in Discord. URLs stay as they
 * are, so links onair makes keep working.
 */
export function withMarkdownEscaped(n: Notification): Notification {
  return {
    ...n,
    title: n.title === null ? null : escapeMarkdown(n.title),
    channel: {
      ...n.channel,
      name: n.channel.name === null ? null : escapeMarkdown(n.channel.name),
    },
  };
}
