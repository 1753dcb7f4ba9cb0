import { z } from 'zod';
import { channelSchema, targetSchema } from '../app/inputs.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (description: string, schema?: object) => ({
  description,
  ...(schema ? json(schema) : {}),
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const errors = {
  '400': ok('Invalid input; `error.issues` names each field', ref('Error')),
  '401': ok('Missing or wrong bearer token or session', ref('Error')),
  '403': ok('The caller lacks the permission', ref('Error')),
  '429': ok('Too many failed authentications from this address; see `Retry-After`', ref('Error')),
  '404': ok('Not found', ref('Error')),
};

/** The OpenAPI 3.1 document served at `/api/v1/openapi.json`; request bodies come from the same zod schemas the API uses. */
export function openApiDocument(): object {
  const channelInput = z.toJSONSchema(channelSchema, { io: 'input', unrepresentable: 'any' });
  const targetInput = z.toJSONSchema(targetSchema, { io: 'input', unrepresentable: 'any' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'onair',
      version: '1',
      description:
        'Live-stream sentinel API. Every route but /healthz needs `Authorization: Bearer <token>` or the session cookie from `POST /api/v1/session`, and a permission (`read`, `manage`, `keepalive`, `record`, `admin`) on the channels concerned.',
    },
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'onair_session' },
      },
      schemas: {
        ChannelInput: channelInput,
        TargetInput: targetInput,
        Channel: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            platform: { type: 'string' },
            url: { type: 'string', description: 'Secrets in the query are redacted' },
            name: { type: ['string', 'null'] },
            status: { enum: ['unknown', 'live', 'offline', 'unreachable'] },
            title: { type: ['string', 'null'] },
            liveSince: { type: ['string', 'null'], format: 'date-time' },
            offlineSince: { type: ['string', 'null'], format: 'date-time' },
            lastCheckedAt: { type: ['string', 'null'], format: 'date-time' },
            lastError: { type: ['string', 'null'] },
            push: {
              type: ['object', 'null'],
              description:
                'Push coverage (Twitch EventSub): `push`, or `poll` with the reason (not configured, over the cost budget, revoked, disconnected); null when the platform has no push',
              properties: {
                mode: { enum: ['push', 'poll'] },
                reason: { type: ['string', 'null'] },
              },
            },
          },
        },
        Event: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            event: { enum: ['live', 'title', 'offline'] },
            channel: { type: 'object' },
            title: { type: ['string', 'null'] },
            tags: { type: 'array', items: { type: 'string' } },
            startedAt: { type: ['string', 'null'], format: 'date-time' },
            at: { type: 'string', format: 'date-time' },
            suppressed: {
              type: 'string',
              description: 'Present when recorded but not announced: the reason',
            },
          },
        },
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { path: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
    paths: {
      '/healthz': {
        get: {
          security: [],
          summary: 'Health: 503 with the failing background tasks (e.g. the store) while any fails',
          responses: {
            '200': ok('`{"ok":true}`'),
            '503': ok('`{"ok":false,"failing":[{"task","error","failures","since"}]}`'),
          },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': ok('text exposition format') } },
      },
      '/api/v1/channels': {
        get: {
          summary: 'List channels with their state',
          responses: { '200': ok('Channels', { type: 'array', items: ref('Channel') }) },
        },
        post: {
          summary: 'Create a channel',
          requestBody: json(ref('ChannelInput')),
          responses: {
            '201': ok('Created', ref('Channel')),
            '409': ok('Exists', ref('Error')),
            ...errors,
          },
        },
      },
      '/api/v1/channels/{id}': {
        parameters: [idParam],
        get: {
          summary: 'Get a channel',
          responses: { '200': ok('Channel', ref('Channel')), ...errors },
        },
        patch: {
          summary: 'Update fields of a channel',
          requestBody: json({ type: 'object' }),
          responses: { '200': ok('Channel', ref('Channel')), ...errors },
        },
        put: {
          summary: 'Update a channel (same as PATCH)',
          requestBody: json({ type: 'object' }),
          responses: { '200': ok('Channel', ref('Channel')), ...errors },
        },
        delete: { summary: 'Delete a channel', responses: { '204': ok('Deleted'), ...errors } },
      },
      '/api/v1/channels/{id}/check': {
        parameters: [idParam],
        post: {
          summary: 'Probe now',
          responses: { '200': ok('Channel after the probe', ref('Channel')), ...errors },
        },
      },
      '/api/v1/targets': {
        get: { summary: 'List targets (secrets redacted)', responses: { '200': ok('Targets') } },
        post: {
          summary: 'Create a target',
          requestBody: json(ref('TargetInput')),
          responses: { '201': ok('Created'), '409': ok('Exists', ref('Error')), ...errors },
        },
      },
      '/api/v1/targets/{id}': {
        parameters: [idParam],
        get: { summary: 'Get a target', responses: { '200': ok('Target'), ...errors } },
        patch: {
          summary: 'Update fields of a target',
          requestBody: json({ type: 'object' }),
          responses: { '200': ok('Target'), ...errors },
        },
        put: {
          summary: 'Update a target (same as PATCH)',
          requestBody: json({ type: 'object' }),
          responses: { '200': ok('Target'), ...errors },
        },
        delete: {
          summary: 'Delete a target',
          responses: {
            '204': ok('Deleted'),
            '409': ok('Still subscribed', ref('Error')),
            ...errors,
          },
        },
      },
      '/api/v1/targets/{id}/deliveries': {
        parameters: [
          idParam,
          { name: 'status', in: 'query', schema: { enum: ['pending', 'sent', 'failed'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
        ],
        get: {
          summary: 'Outbox rows for a target: attempts, next attempt, last error',
          responses: { '200': ok('Deliveries'), ...errors },
        },
      },
      '/api/v1/targets/{id}/test': {
        parameters: [idParam],
        post: {
          summary: "Send a test message now and report the provider's answer",
          responses: {
            '200': ok(
              '`{ ok: true, detail, messageId }` or `{ ok: false, error, retryable, retryAfterMs }`',
            ),
            ...errors,
          },
        },
      },
      '/api/v1/events': {
        get: {
          summary: 'Event history, newest first',
          parameters: [
            { name: 'channel', in: 'query', schema: { type: 'string' } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            },
          ],
          responses: { '200': ok('Events', { type: 'array', items: ref('Event') }), ...errors },
        },
      },
      '/api/v1/hooks/owncast/{channelId}': {
        post: {
          security: [],
          summary: 'Owncast webhook (STREAM_STARTED, STREAM_STOPPED, STREAM_TITLE_UPDATED)',
          description:
            'Authenticated by the channel\'s `webhookSecret`: an `owncast-signature: t=<unix>.s=<hex HMAC-SHA256 of "<t>." + body>` header within 300 s, or `?secret=<webhookSecret>`.',
          parameters: [
            { name: 'channelId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'secret', in: 'query', schema: { type: 'string' } },
          ],
          requestBody: json({
            type: 'object',
            properties: { type: { type: 'string' }, eventData: { type: 'object' } },
          }),
          responses: {
            '204': ok('Taken'),
            '400': ok('Not an Owncast webhook body', ref('Error')),
            '401': ok('Signature or secret missing or wrong', ref('Error')),
          },
        },
      },
      '/api/v1/check': {
        post: {
          summary:
            'Preview a pasted URL: the platforms that recognise it and one probe (as `onair check`)',
          requestBody: json({
            type: 'object',
            required: ['url'],
            properties: { url: { type: 'string', format: 'uri' }, platform: { type: 'string' } },
          }),
          responses: {
            '200': ok('`{ platform, recognisedBy, platforms, suggestedId, observation }`'),
            ...errors,
          },
        },
      },
      '/api/v1/schedule': {
        get: {
          summary:
            'Schedule entries overlapping [from, to): iCalendar feeds, hand-added entries, past and running live sessions',
          parameters: [
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            {
              name: 'to',
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
              description: 'Default window: 7 days back to 35 days ahead; at most 400 days',
            },
          ],
          responses: {
            '200': ok(
              '`[{ id, source: feed|platform|manual|history, channelId, title, description, url, start, end, allDay, status: upcoming|live|past }]`',
            ),
            ...errors,
          },
        },
        post: {
          summary: 'Add an entry by hand',
          requestBody: json({
            type: 'object',
            required: ['title', 'start'],
            properties: {
              title: { type: 'string' },
              start: { type: 'string', format: 'date-time' },
              end: { type: 'string', format: 'date-time' },
              channel: { type: 'string' },
              description: { type: 'string' },
              url: { type: 'string', format: 'uri' },
            },
          }),
          responses: { '201': ok('The entry'), ...errors },
        },
      },
      '/api/v1/schedule/{id}': {
        parameters: [idParam],
        get: {
          summary: 'One hand-added entry',
          responses: { '200': ok('The entry'), ...errors },
        },
        patch: {
          summary:
            'Change one hand-added entry: only the fields given change; null clears end, channel, description or url',
          requestBody: json({
            type: 'object',
            properties: {
              title: { type: 'string' },
              start: { type: 'string', format: 'date-time' },
              end: { type: ['string', 'null'], format: 'date-time' },
              channel: { type: ['string', 'null'] },
              description: { type: ['string', 'null'] },
              url: { type: ['string', 'null'], format: 'uri' },
            },
          }),
          responses: { '200': ok('The entry as changed'), ...errors },
        },
        delete: {
          summary: 'Remove a hand-added entry',
          responses: { '204': ok('Removed'), ...errors },
        },
      },
      '/api/v1/schedule/feeds': {
        get: {
          summary:
            'Configured iCalendar feeds (URLs redacted): last fetch, events, error, problems',
          responses: { '200': ok('Feeds'), ...errors },
        },
      },
      '/api/v1/schedule/feeds/refresh': {
        post: {
          summary: 'Fetch every feed now',
          responses: { '200': ok('Feeds after the refresh'), ...errors },
        },
      },
      '/api/v1/schedule/platforms': {
        get: {
          summary: 'Platform schedules (Twitch) per channel: last read, entries, error',
          responses: {
            '200': ok('`[{ channel, platform, fetchedAt, entries, error }]`'),
            ...errors,
          },
        },
      },
      '/api/v1/calendar/key': {
        get: {
          summary: 'Whether the caller has a calendar key (its secret is never shown again)',
          responses: { '200': ok('`{ exists, createdAt }`'), ...errors },
        },
        post: {
          summary:
            "Make (or replace) the caller's calendar key: calendar apps subscribe to `url` (read only, only channels the caller may read); shown once",
          responses: { '201': ok('`{ key, createdAt, path, url }`'), ...errors },
        },
        delete: {
          summary: "Revoke the caller's calendar key (its URL then gets 401)",
          responses: { '204': ok('Revoked'), ...errors },
        },
      },
      '/api/v1/calendar.ics': {
        get: {
          summary: 'The schedule as iCalendar (default window: 30 days back to 90 days ahead)',
          parameters: [
            {
              name: 'key',
              in: 'query',
              schema: { type: 'string' },
              description: 'A calendar key instead of a bearer token (for calendar apps)',
            },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
          ],
          responses: { '200': ok('text/calendar'), ...errors },
        },
      },
      '/api/v1/events/stream': {
        get: {
          summary: 'Live feed (server-sent events: `event`, `state`, `delivery`, `keepalive`)',
          responses: { '200': ok('text/event-stream') },
        },
      },
      '/api/v1/channels/{id}/playback': {
        parameters: [idParam],
        get: {
          summary:
            'Proxy URLs for a player (`master`, `variants[]` with url, quality, width, height, bandwidth; for an HTTP-FLV channel `flv`, one proxied FLV stream); the caller becomes a viewer reader',
          responses: {
            '200': ok('Playback URLs'),
            '502': ok('The stream could not be resolved', ref('Error')),
            ...errors,
          },
        },
      },
      '/api/v1/proxy/{name}': {
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 't',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'Sealed, expiring token minted by onair',
          },
        ],
        get: {
          security: [],
          summary:
            'HLS proxy: a rewritten playlist or streamed bytes (Range and CORS supported; `_HLS_*` passed through)',
          responses: {
            '200': ok('Playlist or bytes'),
            '206': ok('Partial content'),
            '403': ok('Not signed by onair, tampered or expired', ref('Error')),
          },
        },
      },
      '/api/v1/streams/active': {
        get: {
          summary:
            'Active streams: original and current URL (redacted), readers, refresh count, last refresh, last error',
          responses: { '200': ok('Active streams') },
        },
      },
      ...accessPaths(),
      ...recordingPaths(),
    },
  };
}

const recording = {
  type: 'object',
  properties: {
    id: { type: 'string', description: '`<session>.<part>`' },
    channel: { type: 'string' },
    session: { type: 'string', description: 'Shared by the parts of one live session' },
    part: { type: 'integer' },
    startedAt: { type: 'string', format: 'date-time' },
    endedAt: { type: ['string', 'null'], format: 'date-time' },
    bytes: { type: 'integer' },
    status: { enum: ['recording', 'done', 'failed'] },
    endReason: {
      type: ['string', 'null'],
      description:
        '`offline`, `stopped`, `stalled`, `diskFull`, `discontinuity`, `videoConfig`, `crash`, `shutdown`, …',
    },
    container: { enum: ['ts', 'mp4', 'flv'] },
    file: { type: 'string', description: 'Path relative to recordings.dir' },
    mediaSeconds: {
      type: ['number', 'null'],
      description: 'Seconds of media in the part (not wall-clock time); null when not known',
    },
  },
};

/** Recordings (README, "Recording"). */
function recordingPaths(): Record<string, object> {
  const channelQuery = {
    name: 'channel',
    in: 'query',
    required: false,
    schema: { type: 'string' },
  };
  return {
    '/api/v1/recordings': {
      get: {
        summary: 'Recording parts of the channels the caller may read, oldest first',
        parameters: [channelQuery],
        responses: { '200': ok('Parts', { type: 'array', items: recording }), ...errors },
      },
    },
    '/api/v1/recordings/{id}': {
      get: {
        summary: 'A part with its sidecar (titles with offsets, parts of the session, gaps)',
        parameters: [idParam],
        responses: {
          '200': ok('Part', {
            ...recording,
            properties: { ...recording.properties, sidecar: { type: ['object', 'null'] } },
          }),
          ...errors,
        },
      },
      delete: {
        summary: 'Delete a finished part, its sidecar and thumbnail (record permission)',
        parameters: [idParam],
        responses: {
          '204': ok('Deleted'),
          '409': ok('Still being written', ref('Error')),
          ...errors,
        },
      },
    },
    '/api/v1/recordings/{id}/file': {
      get: {
        summary: 'The part file; supports Range requests (206, 416)',
        parameters: [idParam],
        responses: {
          '200': ok('The file'),
          '206': ok('A range of it'),
          '416': ok('Range not satisfiable'),
          ...errors,
        },
      },
    },
    '/api/v1/channels/{id}/recording': {
      post: {
        summary:
          'Record the channel now, until stopped or its live session ends (record permission)',
        parameters: [idParam],
        responses: {
          '202': ok('Recording', {
            type: 'object',
            properties: {
              channel: { type: 'string' },
              session: { type: 'string' },
              recording: { const: true },
            },
          }),
          '409': ok('Cannot record now (disk space, another process records it)', ref('Error')),
          ...errors,
        },
      },
      delete: {
        summary: 'Stop recording for the rest of this live session (record permission)',
        parameters: [idParam],
        responses: { '204': ok('Stopped'), ...errors },
      },
    },
  };
}

const permissions = {
  type: 'array',
  items: {
    type: 'object',
    required: ['action'],
    properties: {
      action: { enum: ['read', 'manage', 'keepalive', 'record', 'admin'] },
      channels: {
        type: 'array',
        items: { type: 'string' },
        description: '`*`, channel ids, or prefixes like `cam-*`; absent = every channel',
      },
    },
  },
};
const user = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    permissions,
    allowedIps: { type: 'array', items: { type: 'string' } },
    source: { enum: ['config', 'api'] },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const token = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    name: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const keepalive = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    channel: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    creatorUser: { type: 'string' },
    creatorIp: { type: 'string' },
    record: { type: 'boolean' },
    mode: { enum: ['playlist', 'full'] },
    read: {
      type: ['object', 'null'],
      description: 'What it read in the process that holds it (null elsewhere)',
      properties: {
        lastReadAt: { type: ['string', 'null'], format: 'date-time' },
        bytes: { type: 'integer' },
        reads: { type: 'integer' },
        lastError: { type: ['string', 'null'] },
        lastErrorAt: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
};
/** A keepalive as the mediamtx keepalive proposal shows it (`path` is the channel id). */
const mediamtxKeepalive = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    created: { type: 'string', format: 'date-time' },
    path: { type: 'string' },
    creatorUser: { type: 'string' },
    creatorIP: { type: 'string' },
  },
};
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

/** Users, tokens, sessions and keepalives. */
function accessPaths(): Record<string, object> {
  return {
    '/api/v1/users': {
      get: {
        summary: 'List users (admin)',
        responses: { '200': ok('Users', { type: 'array', items: user }), ...errors },
      },
      post: {
        summary: 'Create a user (admin)',
        requestBody: json({
          type: 'object',
          required: ['name', 'permissions'],
          properties: {
            name: { type: 'string' },
            permissions,
            allowedIps: { type: 'array', items: { type: 'string' } },
          },
        }),
        responses: {
          '201': ok('Created', user),
          '409': ok('Exists, or defined in the config file', ref('Error')),
          ...errors,
        },
      },
    },
    '/api/v1/users/{name}': {
      parameters: [nameParam],
      get: { summary: 'Get a user (admin)', responses: { '200': ok('User', user), ...errors } },
      patch: {
        summary: 'Change permissions or allowed IPs of an API user (admin)',
        requestBody: json({
          type: 'object',
          properties: { permissions, allowedIps: { type: 'array', items: { type: 'string' } } },
        }),
        responses: {
          '200': ok('User', user),
          '409': ok('Defined in the config file', ref('Error')),
          ...errors,
        },
      },
      delete: {
        summary: 'Delete an API user with its tokens and sessions (admin)',
        responses: {
          '204': ok('Deleted'),
          '409': ok('Defined in the config file', ref('Error')),
          ...errors,
        },
      },
    },
    '/api/v1/tokens': {
      get: {
        summary: "The caller's tokens (every token for admins), without secrets",
        responses: { '200': ok('Tokens', { type: 'array', items: token }), ...errors },
      },
      post: {
        summary: 'Create a token; the response is the only time it is shown',
        requestBody: json({
          type: 'object',
          properties: {
            user: { type: 'string', description: 'Admins only; default: the caller' },
            name: { type: 'string' },
            ttl: { type: 'string', examples: ['90d'] },
          },
        }),
        responses: {
          '201': ok('Created', {
            ...token,
            properties: { ...token.properties, token: { type: 'string' } },
          }),
          ...errors,
        },
      },
    },
    '/api/v1/tokens/{id}': {
      parameters: [idParam],
      delete: {
        summary: 'Revoke a token and end the sessions opened with it (its user or an admin)',
        responses: { '204': ok('Revoked'), ...errors },
      },
    },
    '/api/v1/session': {
      post: {
        security: [],
        summary: 'Trade a token for an httpOnly, SameSite=Strict session cookie',
        requestBody: json({
          type: 'object',
          required: ['token'],
          properties: { token: { type: 'string' } },
        }),
        responses: { '200': ok('Logged in; `Set-Cookie: onair_session=…`'), ...errors },
      },
      get: {
        summary: 'Who the caller is',
        responses: { '200': ok('`{ user, admin, permissions }`'), ...errors },
      },
      delete: {
        security: [],
        summary: 'Log out: revoke the session and clear the cookie',
        responses: { '204': ok('Logged out') },
      },
    },
    '/api/v1/keepalives': {
      get: {
        summary: "The caller's keepalives (all for admins)",
        responses: { '200': ok('Keepalives', { type: 'array', items: keepalive }), ...errors },
      },
      post: {
        summary:
          'Keep a channel active without viewers (needs `keepalive` on it; `record: true` also needs `record`)',
        requestBody: json({
          type: 'object',
          required: ['channel'],
          properties: {
            channel: { type: 'string' },
            ttl: { type: 'string', default: '30m' },
            record: { type: 'boolean', default: false },
            mode: { enum: ['playlist', 'full'], default: 'playlist' },
          },
        }),
        responses: { '201': ok('Created', keepalive), ...errors },
      },
    },
    '/api/v1/keepalives/{id}': {
      parameters: [idParam],
      get: {
        summary: 'Get a keepalive (its creator or an admin)',
        responses: { '200': ok('Keepalive', keepalive), ...errors },
      },
      delete: {
        summary: 'Remove a keepalive (its creator or an admin)',
        responses: { '204': ok('Removed'), ...errors },
      },
    },
    '/v3/paths/keepalive/add/{name}': {
      parameters: [nameParam],
      post: {
        summary:
          'mediamtx alias: keep channel {name} active (needs `keepalive` on it; optional body: ttl, mode, record)',
        responses: {
          '200': ok('Created', { type: 'object', properties: { id: { type: 'string' } } }),
          ...errors,
        },
      },
    },
    '/v3/paths/keepalive/remove/{id}': {
      parameters: [idParam],
      delete: {
        summary: 'mediamtx alias: remove a keepalive (its creator or an admin)',
        responses: { '200': ok('Removed'), ...errors },
      },
    },
    '/v3/paths/keepalive/list': {
      get: {
        summary: "mediamtx alias: the caller's keepalives (all for admins), paged",
        parameters: [
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          {
            name: 'itemsPerPage',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        ],
        responses: {
          '200': ok('Keepalives', {
            type: 'object',
            properties: {
              pageCount: { type: 'integer' },
              itemCount: { type: 'integer' },
              items: { type: 'array', items: mediamtxKeepalive },
            },
          }),
          ...errors,
        },
      },
    },
    '/v3/paths/keepalive/get/{id}': {
      parameters: [idParam],
      get: {
        summary: 'mediamtx alias: get a keepalive (its creator or an admin)',
        responses: { '200': ok('Keepalive', mediamtxKeepalive), ...errors },
      },
    },
  };
}
