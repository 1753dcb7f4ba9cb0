import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { AppError } from '../../app/errors.js';
import { calendarRoutes } from './calendar.routes.js';
import { checkRoutes, type CheckRouteDeps } from './check.routes.js';
import { scheduleRoutes, type ScheduleRouteDeps } from './schedule.routes.js';

/**
 * The web app's policy: scripts and styles only from here (Svelte's transitions set inline style
 * attributes, hence `'unsafe-inline'` for styles only); hls.js plays from `blob:` MediaSource URLs
 * and may run its demuxer in a `blob:` worker; thumbnails come from the platforms' own hosts.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https: http:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(root, join(d.parentPath, d.name)).split(sep).join('/'));
}

/**
 * The built web app at `/`: its files as they are, and `index.html` for every other GET outside
 * `/api/` so that history routes (`/watch?…`, `/channels/x`) load the app. Only files present at
 * start are served (a fixed set: no path ever reaches the file system from a request).
 */
export function webRoutes(root: string): FastifyPluginAsync {
  const files = new Set(listFiles(root));
  if (!files.has('index.html'))
    throw new Error(`no index.html in ${root}: build the web app first (npm run build)`);
  return async (app) => {
    await app.register(fastifyStatic, {
      root,
      serve: false,
      cacheControl: false,
      decorateReply: true,
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
      return payload;
    });
    app.get('/*', { config: { public: true } }, async (request, reply) => {
      const pathname = request.url.split('?')[0] ?? '/';
      let path: string;
      try {
        path = decodeURIComponent(pathname).replace(/^\/+/, '');
      } catch {
        throw new AppError('notFound', 'no such file');
      }
      if (files.has(path) && path !== 'index.html') {
        // Vite puts a content hash in every asset name under assets/.
        void reply.header(
          'cache-control',
          path.startsWith('assets/')
            ? 'public, max-age=31536000, immutable'
            : 'public, max-age=300',
        );
        return reply.sendFile(path);
      }
      if (path === 'api' || path.startsWith('api/') || /\.[A-Za-z0-9]{1,8}$/.test(path)) {
        throw new AppError('notFound', `no route GET ${pathname}`);
      }
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    });
  };
}

/** What the web app's server side needs: the schedule, the platform registry, and the built files. */
export interface WebAppDeps extends ScheduleRouteDeps, CheckRouteDeps {
  /** Directory of the built web app (`dist/web`); null serves the API only. */
  readonly webRoot: string | null;
}

/** The routes behind the web app: schedule, calendar export, URL check, and the app itself at `/`. */
export async function registerWebApp(app: FastifyInstance, deps: WebAppDeps): Promise<void> {
  await app.register(scheduleRoutes(deps), { prefix: '/api/v1' });
  await app.register(calendarRoutes(deps), { prefix: '/api/v1' });
  await app.register(checkRoutes(deps), { prefix: '/api/v1' });
  if (deps.webRoot !== null) await app.register(webRoutes(deps.webRoot));
}
