import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import {
  channelSchema,
  targetSchema,
  toChannel,
  toTarget,
  type Registries,
} from '../app/inputs.js';
import type { Channel } from '../core/model.js';
import type { Target } from '../ports/notifier.js';
import type { Subscription } from '../ports/store.js';
import { closest, humanize, keysAt, type Problem } from './diagnose.js';
import { ENV_ALIASES, ENV_PATHS, configSchema, type Config } from './schema.js';

/** A config that is valid in every respect, with channels and targets checked against the registries. */
export interface LoadedConfig {
  readonly config: Config;
  readonly channels: readonly { channel: Channel; subscriptions: Subscription[] }[];
  readonly targets: readonly Target[];
  /** Where it came from, for messages. */
  readonly source: string;
  /** Things that do not stop onair but are probably mistakes (a misspelt `ONAIR_*` variable). */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(
      `invalid configuration (${source}):\n${problems.map((p) => `  - ${p.replaceAll('\n', '\n    ')}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** `--config FILE`; falls back to `ONAIR_CONFIG`; none means defaults plus environment. */
  readonly file?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registries: Registries;
}

/** Says where the value at a dotted path came from: `(onair.yaml line 4)`, `(from ONAIR_X)`. */
type Locate = (path: string) => string | undefined;

/**
 * defaults → YAML file → `ONAIR_*` environment → validate once. Every problem is reported in one
 * pass (YAML, schema, registries and cross-references together), each with where it came from.
 */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const file = options.file ?? options.env['ONAIR_CONFIG'];
  const source = file ?? 'defaults and environment';
  const problems: Problem[] = [];
  let raw: Record<string, unknown> = {};
  let readable = true;
  let inFile: Locate = () => undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(source, [
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ]);
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter });
    inFile = (path) => lineOf(doc, lineCounter, file, path);
    const parsed = parseYaml(doc, problems);
    readable = parsed !== undefined;
    raw = parsed ?? {};
  }
  const { fromEnv, warnings } = applyEnv(raw, options.env, problems);
  let config: Config | undefined;
  let targets: Target[] = [];
  let channels: { channel: Channel; subscriptions: Subscription[] }[] = [];
  // A file that is not YAML says nothing reliable about its keys: only the environment is checked.
  if (readable) {
    const parsed = configSchema.safeParse(raw);
    if (parsed.success) config = parsed.data;
    else problems.push(...parsed.error.issues.flatMap(describeIssue));
    // Registry checks run even when other keys are wrong, so every problem is reported at once.
    ({ targets, channels } = checkItems(raw, options.registries, problems));
  }
  const locate: Locate = (path) => {
    const variable = fromEnv.get(path);
    return variable !== undefined ? `from ${variable}` : inFile(path);
  };
  if (config === undefined || problems.length > 0)
    throw new ConfigError(
      source,
      problems.map((p) => format(p, locate)),
    );
  return { config, channels, targets, source, warnings };
}

/** The file's mapping, or undefined after recording why it is not one. */
function parseYaml(doc: Document, problems: Problem[]): Record<string, unknown> | undefined {
  if (doc.errors.length > 0) {
    problems.push(...doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.trim()}` })));
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (error) {
    // Aliases are resolved here, not at parse: an unknown one, or one expanding too far (a
    // "billion laughs" document), throws instead of landing in doc.errors.
    problems.push({
      path: '',
      message: `YAML: ${error instanceof Error ? error.message : String(error)}`,
    });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path: '', message: 'the file must hold a YAML mapping' });
    return undefined;
  }
  return value as Record<string, unknown>;
}

/** One problem per zod issue; an unknown key names the key and the closest known one. */
function describeIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(configSchema, issue.path);
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      return {
        path: [...path, key].join('.'),
        message: `unknown key "${key}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`,
      };
    });
  }
  return [{ path: path.join('.'), message: humanize(issue) }];
}

/** The file and line of the value (or, for an unknown key, the key) at a dotted path. */
function lineOf(doc: Document, lines: LineCounter, file: string, path: string): string | undefined {
  if (path === '') return undefined;
  const keys = path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const last = keys.pop()!;
  const parent = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
  let range: readonly number[] | null | undefined;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
    const node = pair?.value ?? pair?.key;
    range = isNode(node) ? node.range : undefined;
  } else if (isSeq(parent) && typeof last === 'number') {
    const node = parent.items[last];
    range = isNode(node) ? node.range : undefined;
  }
  return range ? `${file} line ${String(lines.linePos(range[0]!).line)}` : undefined;
}

/** Checks each target and channel against the registries and the other items, even when some of its keys are wrong. */
function checkItems(raw: Record<string, unknown>, registries: Registries, problems: Problem[]) {
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const targets: Target[] = [];
  const targetIds = new Set<string>();
  list(raw['targets']).forEach((item, i) => {
    const input = targetSchema.safeParse(item);
    if (!input.success) return; // already reported by the schema
    if (targetIds.has(input.data.id))
      problems.push({ path: `targets.${i}.id`, message: `duplicate target id "${input.data.id}"` });
    targetIds.add(input.data.id);
    const result = toTarget(input.data, registries);
    if (result.ok) targets.push(result.target);
    else problems.push(...result.issues.map((issue) => within(`targets.${i}`, issue)));
  });
  const twitch: unknown = raw['twitch'];
  const hasTwitch =
    typeof twitch === 'object' &&
    twitch !== null &&
    !!(twitch as Record<string, unknown>)['clientId'] &&
    !!(twitch as Record<string, unknown>)['clientSecret'];
  const channels: { channel: Channel; subscriptions: Subscription[] }[] = [];
  const channelIds = new Set<string>();
  list(raw['channels']).forEach((item, i) => {
    const input = channelSchema.safeParse(item);
    if (!input.success) {
      // The schema reported its own keys; what it cannot see is checked here, so nothing waits for a second pass.
      problems.push(...looseChannelProblems(item, i, registries));
      return;
    }
    if (channelIds.has(input.data.id))
      problems.push({
        path: `channels.${i}.id`,
        message: `duplicate channel id "${input.data.id}"`,
      });
    channelIds.add(input.data.id);
    if (input.data.platform === 'twitch' && !hasTwitch)
      problems.push({
        path: `channels.${i}.platform`,
        message:
          'a twitch channel needs Twitch app credentials: set twitch.clientId and twitch.clientSecret (or ONAIR_TWITCH_CLIENT_ID and ONAIR_TWITCH_CLIENT_SECRET)',
      });
    const result = toChannel(input.data, registries);
    if (!result.ok) {
      problems.push(...result.issues.map((issue) => within(`channels.${i}`, issue)));
      return;
    }
    result.subscriptions.forEach((s, j) => {
      if (!targetIds.has(s.targetId))
        problems.push({
          path: `channels.${i}.notify.${j}`,
          message: `no target with id "${s.targetId}"`,
        });
    });
    channels.push(result);
  });
  return { targets, channels };
}

/** The platform of a channel whose other keys are wrong. */
function looseChannelProblems(item: unknown, i: number, registries: Registries): Problem[] {
  if (typeof item !== 'object' || item === null) return [];
  const platform = (item as Record<string, unknown>)['platform'];
  if (typeof platform !== 'string' || platform === '' || registries.platforms.has(platform))
    return [];
  return [
    {
      path: `channels.${i}.platform`,
      message: `unknown platform "${platform}" (known: ${[...registries.platforms.keys()].join(', ')})`,
    },
  ];
}

function within(prefix: string, issue: Problem): Problem {
  return { path: issue.path === '' ? prefix : `${prefix}.${issue.path}`, message: issue.message };
}

function format(problem: Problem, locate: Locate): string {
  if (problem.path === '') return problem.message;
  const where = locate(problem.path);
  return `${problem.path}: ${problem.message}${where === undefined ? '' : ` (${where})`}`;
}

/** Variables read outside the config schema: the CLI's, and those of the project's own tests and benchmarks. */
const OTHER_VARIABLES = [
  'ONAIR_CONFIG',
  'ONAIR_CHECK_TIMEOUT_MS',
  'ONAIR_REQUIRE_SERVICES',
  'ONAIR_TEST_POSTGRES_URL',
  'ONAIR_TEST_REDIS_URL',
  'ONAIR_CHAOS_ROUNDS',
  'ONAIR_FUZZ_SEED',
  'ONAIR_BENCH_MINUTES',
];

/**
 * `ONAIR_SERVER_PORT=9090` sets `server.port`; `ONAIR_X_FILE=/path` reads the value from a file.
 * Returns which variable set each dotted path, and a warning per `ONAIR_*` name onair does not read.
 */
function applyEnv(
  raw: Record<string, unknown>,
  env: LoadOptions['env'],
  problems: Problem[],
): { fromEnv: Map<string, string>; warnings: string[] } {
  const settable = new Map(ENV_PATHS.map((path) => [envName(path), path]));
  const known = [...settable.keys(), ...Object.keys(ENV_ALIASES), ...OTHER_VARIABLES];
  const values = new Map<string, { value: string; variable: string }>();
  const warnings: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || !variable.startsWith('ONAIR_')) continue;
    const isFile = variable.endsWith('_FILE');
    const name = isFile ? variable.slice(0, -'_FILE'.length) : variable;
    if (!known.includes(name)) {
      const guess = closest(name, known);
      warnings.push(
        `${variable} is not a setting onair reads${guess === undefined ? '' : ` (did you mean ${guess}${isFile ? '_FILE' : ''}?)`}`,
      );
      continue;
    }
    if (!isFile) {
      values.set(ENV_ALIASES[name] ?? name, { value, variable });
      continue;
    }
    try {
      values.set(ENV_ALIASES[name] ?? name, {
        value: readFileSync(value, 'utf8').trim(),
        variable,
      });
    } catch (error) {
      problems.push({
        path: '',
        message: `${variable}: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      });
    }
  }
  const fromEnv = new Map<string, string>();
  for (const [name, path] of settable) {
    const entry = values.get(name);
    if (entry === undefined) continue;
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      if (typeof child !== 'object' || child === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = entry.value;
    fromEnv.set(path.join('.'), entry.variable);
  }
  return { fromEnv, warnings };
}

export function envName(path: readonly string[]): string {
  return `ONAIR_${path.map((p) => p.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}
