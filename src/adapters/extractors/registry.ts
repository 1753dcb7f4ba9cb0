import type { Channel } from '../../core/model.js';
import type { Extractor } from '../../ports/extractor.js';
import type { ExtractorHttp } from './hls-resolve.js';
import { FlvExtractor } from '../platforms/flv/flv.platform.js';
import { HlsExtractor } from './hls.extractor.js';
import { OwncastExtractor } from './owncast.extractor.js';
import { PluginExtractor } from './plugin.extractor.js';
import { StreamlinkExtractor, findStreamlink } from './streamlink.extractor.js';

/** An `extractors:` rule of the config: which extractor serves which channels. */
export interface ExtractorRule {
  /** `owncast`, `hls`, `streamlink` or `plugin`. */
  readonly use: string;
  /** For `use: plugin`: the JavaScript module (path relative to the working directory). */
  readonly module?: string | undefined;
  /** Channel ids the rule applies to; absent: every channel (of `platform`, if given). */
  readonly channels?: readonly string[] | undefined;
  readonly platform?: string | undefined;
}

/** The built-in extractors, a plain array; `streamlink` only when it is installed. */
export function builtInExtractors(
  deps: ExtractorHttp,
  streamlinkPath = findStreamlink(),
): Extractor[] {
  const list: Extractor[] = [
    new OwncastExtractor(deps),
    new HlsExtractor(deps),
    new FlvExtractor(),
  ];
  if (streamlinkPath !== null)
    list.push(new StreamlinkExtractor(streamlinkPath, Math.max(deps.timeoutMs, 30_000)));
  return list;
}

/**
 * Picks the extractor of a channel: the first rule that matches it (by channel id and platform),
 * else the built-in extractor named like the channel's platform. Returns a reason when there is none.
 */
export function extractorSelector(
  builtIn: readonly Extractor[],
  rules: readonly ExtractorRule[],
): (channel: Channel) => Extractor | string {
  const bound = rules.map((rule) => ({
    rule,
    extractor:
      rule.use === 'plugin' && rule.module !== undefined
        ? new PluginExtractor(rule.module)
        : builtIn.find((e) => e.id === rule.use),
  }));
  return (channel) => {
    for (const { rule, extractor } of bound) {
      if (rule.channels !== undefined && !rule.channels.includes(channel.id)) continue;
      if (rule.platform !== undefined && rule.platform !== channel.platform) continue;
      return extractor ?? `extractor "${rule.use}" is not available (is it installed?)`;
    }
    return (
      builtIn.find((e) => e.id === channel.platform) ??
      `no extractor for platform "${channel.platform}"`
    );
  };
}
