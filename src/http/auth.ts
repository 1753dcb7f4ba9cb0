import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth, Principal } from '../app/auth.js';
import type { FailureLimiter } from '../app/auth-rate-limit.js';
import { AppError } from '../app/errors.js';
import type { Keepalives } from '../app/keepalives.js';
import { allows } from '../app/permissions.js';
import type { PermissionAction } from '../ports/store.js';

/**
 * Who may call a route:
 * - an action, on every channel, or on the channel named by a path parameter (`channelParam`),
 *   or on some channel when the handler checks the exact one from the body (`channelInBody`);
 * - `'authenticated'`: anyone with a valid token, the handler enforcing ownership.
 */
export type RoutePermission =
  | {
      readonly action: PermissionAction;
      readonly channelParam?: string;
      readonly channelInBody?: true;
    }
  | 'authenticated';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Without it (and without `public`), a route is for admins only: new routes are safe by default. */
    permission?: RoutePermission;
    /**
     * A secret the route also accepts in its query string, for clients that cannot send headers
     * (calendar apps subscribing by URL). Used only when no Authorization header came; the
     * principal it yields still needs the route's permission.
     */
    queryCredential?: QueryCredential;
  }
  interface FastifyRequest {
    /** The authenticated caller; null only on public routes. */
    principal: Principal | null;
  }
}

/** A credential carried in a query parameter (see `FastifyContextConfig.queryCredential`). */
export interface QueryCredential {
  readonly param: string;
  /** The caller the secret stands for, or null (unknown or revoked). */
  authenticate(secret: string, ip: string): Promise<Principal | null>;
}

/** What the HTTP layer needs for access control, beyond `HttpDeps`. */
export interface AccessDeps {
  readonly limiter: FailureLimiter;
  readonly keepalives: Keepalives;
}

/**
 * Routes whose files predate route-level permissions (their owners may move these into the
 * route's `config.permission`, which wins). Listings and creation need the action on every
 * channel, since their results cannot be narrowed to the channels a user may see.
 */
const KNOWN_ROUTES: Readonly<Record<string, RoutePermission>> = {
  'GET /metrics': { action: 'read' },
  'GET /api/v1/openapi.json': 'authenticated',
  'GET /api/v1/channels': { action: 'read' },
  'POST /api/v1/channels': { action: 'manage' },
  'GET /api/v1/channels/:id': { action: 'read', channelParam: 'id' },
  'PATCH /api/v1/channels/:id': { action: 'manage', channelParam: 'id' },
  'PUT /api/v1/channels/:id': { action: 'manage', channelParam: 'id' },
  'DELETE /api/v1/channels/:id': { action: 'manage', channelParam: 'id' },
  'POST /api/v1/channels/:id/check': { action: 'manage', channelParam: 'id' },
  'GET /api/v1/targets': { action: 'manage' },
  'POST /api/v1/targets': { action: 'manage' },
  'GET /api/v1/targets/:id': { action: 'manage' },
  'PATCH /api/v1/targets/:id': { action: 'manage' },
  'PUT /api/v1/targets/:id': { action: 'manage' },
  'DELETE /api/v1/targets/:id': { action: 'manage' },
  'GET /api/v1/targets/:id/deliveries': { action: 'manage' },
  'POST /api/v1/targets/:id/test': { action: 'manage' },
  'GET /api/v1/events': { action: 'read' },
  'GET /api/v1/events/stream': { action: 'read' },
  'GET /api/v1/channels/:id/playback': { action: 'read', channelParam: 'id' },
  'GET /api/v1/streams/active': { action: 'read' },
  'GET /api/v1/schedule': { action: 'read' },
  'POST /api/v1/schedule': { action: 'manage' },
  'DELETE /api/v1/schedule/:id': { action: 'manage' },
  'GET /api/v1/schedule/feeds': { action: 'read' },
  'POST /api/v1/schedule/feeds/refresh': { action: 'manage' },
  'GET /api/v1/calendar.ics': { action: 'read' },
  // Probes a URL given by the caller: as much trust as adding a channel.
  'POST /api/v1/check': { action: 'manage' },
};

const ADMIN_ONLY: RoutePermission = { action: 'admin' };

export type ResolvedPermission = RoutePermission | 'public';

/** The permission a route requires; HEAD follows its GET. */
export function routePermission(
  method: string,
  url: string | undefined,
  config: { public?: boolean; permission?: RoutePermission },
): ResolvedPermission {
  if (config.public === true) return 'public';
  if (config.permission !== undefined) return config.permission;
  if (url === undefined) return ADMIN_ONLY;
  return KNOWN_ROUTES[`${method === 'HEAD' ? 'GET' : method} ${url}`] ?? ADMIN_ONLY;
}

export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly permission: ResolvedPermission;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route of an app built by `buildHttpApp`, with the permission it requires (for audits and tests). */
export function listRoutes(app: FastifyInstance): readonly RouteInfo[] {
  return routeTables.get(app) ?? [];
}

export const SESSION_COOKIE = 'onair_session';

/** The value of the session cookie, if the request carries one. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Sets (or, with `value` null, clears) the session cookie: httpOnly, SameSite=Strict, Secure over HTTPS. */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  value: string | null,
  maxAgeMs = 0,
): void {
  const attributes = [
    `${SESSION_COOKIE}=${value ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${value === null ? 0 : Math.floor(maxAgeMs / 1_000)}`,
  ];
  if (request.protocol === 'https') attributes.push('Secure');
  void reply.header('set-cookie', attributes.join('; '));
}

/**
 * Counts a failed authentication from the request's address and throws: 429 (with Retry-After)
 * once the address has failed too often, else 401 with `message`. Only failures are ever
 * refused this way: a valid token or session is checked and accepted from any address, so one
 * client's failures never lock out another behind the same address.
 */
export function refuseFailure(
  limiter: FailureLimiter,
  request: FastifyRequest,
  reply: FastifyReply,
  message: string,
): never {
  const ms = limiter.retryAfterMs(request.ip);
  limiter.recordFailure(request.ip);
  if (ms <= 0) throw new AppError('unauthorized', message);
  void reply.header('retry-after', String(Math.ceil(ms / 1_000)));
  throw new AppError(
    'rateLimited',
    'too many failed authentication attempts from this address; try again later',
  );
}

/** The bearer token of a request, if it carries one. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization ?? '';
  return header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : undefined;
}

/** Methods that change nothing (RFC 9110 §9.2.1). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a cookie-authenticated write a browser sent from another origin: SameSite=Strict still
 * lets a sibling site (same registrable domain) post a `text/plain` form with the cookie. Browsers
 * say where a request comes from in `Sec-Fetch-Site` and `Origin`; clients that send neither are
 * not browsers and are not at risk.
 */
function refuseCrossSite(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  let foreign = site !== undefined && site !== 'same-origin' && site !== 'none';
  if (!foreign && origin !== undefined) {
    try {
      foreign = new URL(origin).host !== new URL(`${request.protocol}://${request.host}`).host;
    } catch {
      foreign = true;
    }
  }
  if (foreign)
    throw new AppError('forbidden', 'a write with the session cookie must come from this site');
}

/** The caller behind a request's bearer token or session cookie, without counting failures. */
async function authenticateRequest(
  auth: Auth,
  request: FastifyRequest,
): Promise<{ readonly principal: Principal | null; readonly bearer: boolean }> {
  const bearer = bearerToken(request);
  if (bearer !== undefined)
    return { principal: await auth.authenticate(bearer, request.ip), bearer: true };
  const session = sessionCookie(request);
  return {
    principal: session === undefined ? null : await auth.authenticateSession(session, request.ip),
    bearer: false,
  };
}

/**
 * Keeps a long-lived answer (an event stream) honest: `end` is called once the request's token,
 * session or user is revoked or no longer has the route's permission. Returns the function that
 * stops watching (call it when the answer ends by itself).
 */
export function watchAccess(auth: Auth, request: FastifyRequest, end: () => void): () => void {
  const principal = caller(request);
  const permission = routePermission(
    request.method,
    request.routeOptions.url,
    request.routeOptions.config,
  );
  return auth.watch(
    principal.name,
    async () => {
      const now = (await authenticateRequest(auth, request)).principal;
      return now !== null && (permission === 'public' || permits(now, permission, request.params));
    },
    end,
  );
}

/** The authenticated caller of a non-public route. */
export function caller(request: FastifyRequest): Principal {
  if (request.principal === null)
    throw new Error(`route ${request.routeOptions.url ?? ''} is public but needs a caller`);
  return request.principal;
}

/**
 * Authentication and authorization for every route: a bearer token or the session cookie, then
 * the route's permission. Only failed bearer tokens count towards the failure rate limit (session
 * values are 256-bit random, and a browser with a stale cookie must not lock itself out), and only
 * failures are refused with 429.
 */
export function installAuth(app: FastifyInstance, auth: Auth, limiter: FailureLimiter): void {
  const routes: RouteInfo[] = [];
  routeTables.set(app, routes);
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        permission: routePermission(method, route.url, route.config ?? {}),
      });
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const permission = routePermission(
      request.method,
      request.routeOptions.url,
      request.routeOptions.config,
    );
    if (permission === 'public') return;
    const keyed = await queryCaller(request);
    if (keyed !== undefined) {
      if (!keyed) {
        limiter.recordFailure(request.ip);
        throw new AppError('unauthorized', 'the key is not valid (revoked or replaced?)');
      }
      if (!permits(keyed, permission, request.params))
        throw new AppError('forbidden', 'not allowed');
      request.principal = keyed;
      return;
    }
    const { principal, bearer } = await authenticateRequest(auth, request);
    const required = 'a valid bearer token or session is required';
    if (!principal && bearer) refuseFailure(limiter, request, reply, required);
    if (!principal) throw new AppError('unauthorized', required);
    if (!bearer) refuseCrossSite(request);
    if (!permits(principal, permission, request.params))
      throw new AppError('forbidden', 'not allowed');
    request.principal = principal;
  });
}

/** The caller behind a route's query credential; undefined when the route takes none or none came. */
async function queryCaller(request: FastifyRequest): Promise<Principal | null | undefined> {
  const credential = request.routeOptions.config.queryCredential;
  if (credential === undefined || request.headers.authorization !== undefined) return undefined;
  const secret = (request.query as Record<string, unknown> | undefined)?.[credential.param];
  if (typeof secret !== 'string') return undefined;
  return credential.authenticate(secret, request.ip);
}

function permits(principal: Principal, permission: RoutePermission, params: unknown): boolean {
  if (permission === 'authenticated') return true;
  if (permission.channelInBody === true)
    return allows(principal.permissions, permission.action, 'some');
  if (permission.channelParam === undefined)
    return allows(principal.permissions, permission.action, 'all');
  const channel = (params as Record<string, unknown> | undefined)?.[permission.channelParam];
  return (
    typeof channel === 'string' && allows(principal.permissions, permission.action, { channel })
  );
}
