import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Channel } from '../../core/model.js';
import { redactUrl } from '../../core/redact.js';
import type { Extractor, ResolveResult } from '../../ports/extractor.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const sourceSchema = z.object({
  url: httpUrl,
  quality: z.string().min(1),
  title: z.string().optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  bandwidth: z.number().int().positive().optional(),
  /** Epoch milliseconds. */
  expiresAt: z.number().int().positive().optional(),
});

/** A plugin may return the sources, or `{ sources, master }`. */
const outputSchema = z.union([
  z.array(sourceSchema).min(1),
  z.object({ sources: z.array(sourceSchema).min(1), master: httpUrl.optional() }),
]);

/** What a plugin module exports: `resolve`, named or on its default export. */
const moduleSchema = z.union([
  z.object({ resolve: z.custom<PluginResolve>((v) => typeof v === 'function') }),
  z.object({
    default: z.object({ resolve: z.custom<PluginResolve>((v) => typeof v === 'function') }),
  }),
]);

/** The contract of a plugin module (see `examples/extractor-plugin.mjs` and the README). */
export type PluginResolve = (
  channel: {
    readonly id: string;
    readonly url: string;
    readonly platform: string;
    readonly options: Readonly<Record<string, unknown>>;
  },
  context: { readonly signal: AbortSignal },
) => unknown;

/**
 * Runs a user's JavaScript module as an extractor. The module is imported once, on first use,
 * from a path relative to the working directory. Whatever it returns is validated; a throw, a
 * rejection or a bad shape becomes a failed resolve with the reason (URLs in it redacted).
 */
export class PluginExtractor implements Extractor {
  readonly id = 'plugin';
  private readonly modulePath: string;
  private loaded: Promise<PluginResolve | string> | null = null;

  constructor(modulePath: string) {
    this.modulePath = modulePath;
  }

  async resolve(channel: Channel, signal: AbortSignal): Promise<ResolveResult> {
    this.loaded ??= this.load();
    const fn = await this.loaded;
    if (typeof fn === 'string') return { ok: false, reason: fn, retryable: false };
    let output: unknown;
    try {
      output = await fn(
        { id: channel.id, url: channel.url, platform: channel.platform, options: channel.options },
        { signal },
      );
    } catch (error) {
      return {
        ok: false,
        reason: `plugin ${this.modulePath} failed: ${redactText(error instanceof Error ? error.message : String(error))}`,
        retryable: true,
      };
    }
    // `null` or no sources: the channel is not live now (the contract of the `plugin` platform).
    if (output === null || (Array.isArray(output) && output.length === 0)) {
      return { ok: false, reason: 'not live', retryable: false, offline: true };
    }
    const parsed = outputSchema.safeParse(output);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        reason: `plugin ${this.modulePath} returned a bad result (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
        retryable: false,
      };
    }
    const data = parsed.data;
    return Array.isArray(data)
      ? { ok: true, sources: data }
      : { ok: true, sources: data.sources, master: data.master };
  }

  private async load(): Promise<PluginResolve | string> {
    try {
      const mod: unknown = await import(pathToFileURL(resolvePath(this.modulePath)).href);
      const parsed = moduleSchema.safeParse(mod);
      if (!parsed.success)
        return `plugin ${this.modulePath} exports no resolve(channel, context) function`;
      return 'resolve' in parsed.data ? parsed.data.resolve : parsed.data.default.resolve;
    } catch (error) {
      return `cannot load plugin ${this.modulePath}: ${redactText(error instanceof Error ? error.message : String(error))}`;
    }
  }
}

/** Redacts every URL inside a free-form message. */
export function redactText(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/g, (url) => redactUrl(url)).slice(0, 300);
}
