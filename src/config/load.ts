import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import {
  channelSchema,
  targetSchema,
  toChannel,
  toTarget,
  zodIssues,
  type Registries,
} from '../app/inputs.js';
import type { Channel } from '../core/model.js';
import type { Target } from '../ports/notifier.js';
import type { Subscription } from '../ports/store.js';
import { ENV_ALIASES, ENV_PATHS, configSchema, type Config } from './schema.js';

/** A config that is valid in every respect, with channels and targets checked against the registries. */
export interface LoadedConfig {
  readonly config: Config;
  readonly channels: readonly { channel: Channel; subscriptions: Subscription[] }[];
  readonly targets: readonly Target[];
  /** Where it came from, for messages. */
  readonly source: string;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** `--config FILE`; falls back to `ONAIR_CONFIG`; none means defaults plus environment. */
  readonly file?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registries: Registries;
}

/** defaults → YAML file → `ONAIR_*` environment → validate once, reporting every problem. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const file = options.file ?? options.env['ONAIR_CONFIG'];
  const source = file ?? 'defaults and environment';
  const problems: string[] = [];
  let raw: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(source, [
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ]);
    }
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0)
      throw new ConfigError(
        source,
        doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? ''}`),
      );
    try {
      raw = doc.toJS() ?? {};
    } catch (error) {
      // Aliases are resolved here, not at parse: an unknown one, or one expanding too far (a
      // "billion laughs" document), throws instead of landing in doc.errors.
      throw new ConfigError(source, [
        `YAML: ${error instanceof Error ? error.message : String(error)}`,
      ]);
    }
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError(source, ['the file must hold a YAML mapping']);
  }
  applyEnv(raw as Record<string, unknown>, options.env, problems);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...zodIssues(parsed.error).map(format));
  // Registry checks run even when other keys are wrong, so every problem is reported at once.
  const { targets, channels } = checkItems(
    raw as Record<string, unknown>,
    options.registries,
    problems,
  );
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, problems);
  return { config: parsed.data, channels, targets, source };
}

/** Checks each target and channel that parses on its own against the registries and the other items. */
function checkItems(raw: Record<string, unknown>, registries: Registries, problems: string[]) {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const targets: Target[] = [];
  const targetIds = new Set<string>();
  list(raw['targets']).forEach((item, i) => {
    const input = targetSchema.safeParse(item);
    if (!input.success) return; // already reported by the schema
    if (targetIds.has(input.data.id))
      problems.push(`targets.${i}.id: duplicate target id "${input.data.id}"`);
    targetIds.add(input.data.id);
    const result = toTarget(input.data, registries);
    if (result.ok) targets.push(result.target);
    else
      problems.push(
        ...result.issues.map((issue) => format({ ...issue, path: `targets.${i}.${issue.path}` })),
      );
  });
  const channels: { channel: Channel; subscriptions: Subscription[] }[] = [];
  const channelIds = new Set<string>();
  list(raw['channels']).forEach((item, i) => {
    const input = channelSchema.safeParse(item);
    if (!input.success) return;
    if (channelIds.has(input.data.id))
      problems.push(`channels.${i}.id: duplicate channel id "${input.data.id}"`);
    channelIds.add(input.data.id);
    const result = toChannel(input.data, registries);
    if (!result.ok) {
      problems.push(
        ...result.issues.map((issue) => format({ ...issue, path: `channels.${i}.${issue.path}` })),
      );
      return;
    }
    result.subscriptions.forEach((s, j) => {
      if (!targetIds.has(s.targetId))
        problems.push(`channels.${i}.notify.${j}: no target with id "${s.targetId}"`);
    });
    channels.push(result);
  });
  return { targets, channels };
}

function format(issue: { path: string; message: string }): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/** `ONAIR_SERVER_PORT=9090` sets `server.port`; `ONAIR_X_FILE=/path` reads the value from a file. */
function applyEnv(raw: Record<string, unknown>, env: LoadOptions['env'], problems: string[]): void {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith('ONAIR_')) continue;
    if (name.endsWith('_FILE')) {
      const target = name.slice(0, -'_FILE'.length);
      try {
        values.set(ENV_ALIASES[target] ?? target, readFileSync(value, 'utf8').trim());
      } catch (error) {
        problems.push(
          `${name}: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
    } else {
      values.set(ENV_ALIASES[name] ?? name, value);
    }
  }
  for (const path of ENV_PATHS) {
    const value = values.get(envName(path));
    if (value === undefined) continue;
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      if (typeof child !== 'object' || child === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
}

export function envName(path: readonly string[]): string {
  return `ONAIR_${path.map((p) => p.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}
