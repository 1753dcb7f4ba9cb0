import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../../app/inputs.js';
import type { Recordings } from '../../app/recorder/recordings.js';
import type { StoredRecording } from '../../ports/store.js';
import { caller } from '../auth.js';
import { idParams, parseInput } from './params.js';

// Recording ids are `<session>.<part>`: well-formed or not, an unknown one is simply 404.
const recordingParams = z.object({ id: z.string().min(1).max(200) });
const listQuery = z.object({ channel: idSchema.optional() });

const CONTENT_TYPES: Readonly<Record<StoredRecording['container'], string>> = {
  ts: 'video/mp2t',
  mp4: 'video/mp4',
  flv: 'video/x-flv',
};

/** The API representation of a recording part (a contract). */
export function recordingView(r: StoredRecording) {
  return {
    id: r.id,
    channel: r.channelId,
    session: r.session,
    part: r.part,
    startedAt: new Date(r.startedAt).toISOString(),
    endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
    bytes: r.bytes,
    status: r.status,
    endReason: r.endReason,
    container: r.container,
    file: r.path,
    /** Seconds of media in the part (not wall-clock time); null when not known. */
    mediaSeconds: r.mediaMs == null ? null : r.mediaMs / 1_000,
  };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; null for anything else (the whole file is sent). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Recordings: listing and reading need `read` on the recording's channel (the handler checks it;
 * others' parts look unknown), deleting needs `record`, and so do manual start and stop.
 */
export function recordingRoutes(recordings: Recordings): FastifyPluginAsync {
  return async (app) => {
    const read = { config: { permission: { action: 'read', channelInBody: true } } } as const;
    const record = { config: { permission: { action: 'record', channelInBody: true } } } as const;
    const recordChannel = {
      config: { permission: { action: 'record', channelParam: 'id' } },
    } as const;

    app.get('/recordings', read, async (request) => {
      const { channel } = parseInput(listQuery, request.query);
      return (await recordings.list(caller(request), channel)).map(recordingView);
    });

    app.get('/recordings/:id', read, async (request) => {
      const { id } = parseInput(recordingParams, request.params);
      const { recording, sidecar } = await recordings.get(caller(request), id);
      return { ...recordingView(recording), sidecar };
    });

    app.get('/recordings/:id/file', read, async (request, reply) => {
      const { id } = parseInput(recordingParams, request.params);
      const { recording, absolute, bytes } = await recordings.file(caller(request), id);
      const name = recording.path.split('/').pop() ?? 'recording';
      void reply
        .header('accept-ranges', 'bytes')
        .header('content-type', CONTENT_TYPES[recording.container])
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(name)}`);
      const range = parseRange(request.headers.range, bytes);
      if (range === 'unsatisfiable')
        return reply.status(416).header('content-range', `bytes */${bytes}`).send();
      if (range === null)
        return reply
          .header('content-length', String(bytes))
          .send(createReadStream(absolute, { start: 0, end: Math.max(0, bytes - 1) }));
      return reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${bytes}`)
        .header('content-length', String(range.end - range.start + 1))
        .send(createReadStream(absolute, { start: range.start, end: range.end }));
    });

    app.delete('/recordings/:id', record, async (request, reply) => {
      const { id } = parseInput(recordingParams, request.params);
      await recordings.remove(caller(request), id);
      return reply.status(204).send();
    });

    app.post('/channels/:id/recording', recordChannel, async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      return reply.status(202).send({ ...(await recordings.startManual(id)), recording: true });
    });

    app.delete('/channels/:id/recording', recordChannel, async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      await recordings.stopManual(id);
      return reply.status(204).send();
    });
  };
}
