import type { EventKind } from '../model.js';
import type { Notification, NotificationKind } from '../notification.js';
import { formatDuration } from '../time.js';
import { mustCompile, renderHtml, renderText, type Template, type Variables } from './template.js';

/** Per-event text templates; a subscription's overrides. Kinds left out use the target's defaults. */
export type Templates = Readonly<Partial<Record<EventKind, Template>>>;

/** A target kind's default wording: a short headline and a body per event. */
export interface DefaultTemplates {
  readonly headline: Readonly<Record<NotificationKind, Template>>;
  readonly text: Readonly<Record<NotificationKind, Template>>;
}

/** One notification in words, ready for a notifier to put into its wire format. */
export interface Message {
  readonly event: NotificationKind;
  /** Push title, e-mail subject, embed title. */
  readonly headline: string;
  /** The body as plain text. */
  readonly text: string;
  /** The same body as HTML (escaped, links as anchors); line breaks are still `\n`. */
  readonly html: string;
  /** Where to watch. */
  readonly link: string;
  readonly channelName: string;
  readonly tags: readonly string[];
  /** How long the session has been (or was) live, when its start is known. */
  readonly liveForMs: number | null;
}

const headline = {
  live: mustCompile('{{channel.name}} is live'),
  title: mustCompile('{{channel.name}} has a new title'),
  offline: mustCompile('{{channel.name}} is offline'),
  test: mustCompile('Test message from onair'),
};

/** Defaults for targets that show a headline and a body (ntfy, Discord, e-mail). */
export const STANDARD_TEMPLATES: DefaultTemplates = {
  headline,
  text: {
    live: mustCompile(
      '{{#title}}{{title}}{{/title}}{{^title}}Live now{{/title}}{{#tags}}\nTags: {{tags}}{{/tags}}\n{{channel.url}}',
    ),
    title: mustCompile(
      '{{#title}}{{title}}{{/title}}{{^title}}(no title){{/title}}{{#duration}}\nLive for {{duration}}{{/duration}}\n{{channel.url}}',
    ),
    offline: mustCompile(
      'Was live{{#duration}} for {{duration}}{{/duration}}{{#title}}: {{title}}{{/title}}',
    ),
    test: mustCompile('{{title}}\nNotices of live streams will look like this.'),
  },
};

/** Defaults for chat targets that show one text (Matrix, Telegram): the headline is folded in. */
export const CHAT_TEMPLATES: DefaultTemplates = {
  headline,
  text: {
    live: mustCompile(
      '🔴 {{channel.name}} is live{{#title}}: {{title}}{{/title}}{{#tags}}\nTags: {{tags}}{{/tags}}\n{{channel.url}}',
    ),
    title: mustCompile(
      '✏️ {{channel.name}}: {{#title}}{{title}}{{/title}}{{^title}}(no title){{/title}}\n{{channel.url}}',
    ),
    offline: mustCompile(
      '⚫ {{channel.name}} was live{{#duration}} for {{duration}}{{/duration}}{{#title}}: {{title}}{{/title}}',
    ),
    test: mustCompile('🧪 {{title}}'),
  },
};

/** The template variables of a notification. */
export function variablesOf(n: Notification): Variables {
  const liveFor = liveForMs(n);
  return {
    'channel.name': n.channel.name ?? n.channel.id,
    'channel.id': n.channel.id,
    'channel.url': n.channel.url,
    'channel.platform': n.channel.platform,
    title: n.title ?? '',
    tags: n.tags.join(', '),
    event: n.event,
    duration: liveFor === null || liveFor < 1_000 ? '' : formatDuration(liveFor),
    startedAt: n.startedAt === null ? '' : new Date(n.startedAt).toISOString(),
    at: new Date(n.at).toISOString(),
  };
}

function liveForMs(n: Notification): number | null {
  return n.startedAt === null ? null : Math.max(0, n.at - n.startedAt);
}

/** Renders a notification with the subscription's overrides over a target kind's defaults. Pure. */
export function renderMessage(
  n: Notification,
  defaults: DefaultTemplates,
  overrides: Templates,
): Message {
  const vars = variablesOf(n);
  // A test shows the target kind's own wording: a subscription's templates are per event kind.
  const text = (n.event === 'test' ? undefined : overrides[n.event]) ?? defaults.text[n.event];
  return {
    event: n.event,
    headline: renderText(defaults.headline[n.event], vars),
    text: renderText(text, vars),
    html: renderHtml(text, vars),
    link: n.channel.url,
    channelName: vars['channel.name'],
    tags: n.tags,
    liveForMs: liveForMs(n),
  };
}
