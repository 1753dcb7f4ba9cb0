import { z } from 'zod';

/** `GET /api/status` (PROTOCOLS.md §1.1). Unknown fields are ignored. */
export const statusWire = z.object({
  online: z.boolean().optional(),
  viewerCount: z.number().int().nonnegative().optional(),
  lastConnectTime: z.string().nullable().optional(),
  lastDisconnectTime: z.string().nullable().optional(),
  streamTitle: z.string().optional(),
});

/** `GET /api/config` (PROTOCOLS.md §1.2): only the fields onair uses. */
export const configWire = z.object({
  name: z.string().optional(),
  tags: z.array(z.string()).optional(),
  streamTitle: z.string().optional(),
});
