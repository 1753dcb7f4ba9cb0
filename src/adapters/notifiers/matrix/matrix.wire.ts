import { z } from 'zod';

/** `m.room.message` content of a bot notice with its HTML form (PROTOCOLS.md §3). */
export interface MatrixNotice {
  readonly msgtype: 'm.notice' | 'm.text';
  readonly body: string;
  readonly format: 'org.matrix.custom.html';
  readonly formatted_body: string;
  /** Empty: never ping anyone by accident. */
  readonly 'm.mentions': Record<string, never>;
}

/** An edit: fallback text plus the full replacement and the relation to the original. */
export interface MatrixEdit extends MatrixNotice {
  readonly 'm.new_content': MatrixNotice;
  readonly 'm.relates_to': { readonly rel_type: 'm.replace'; readonly event_id: string };
}

export interface MatrixRedaction {
  readonly reason: string;
}

export const matrixSent = z.object({ event_id: z.string().min(1) });

/** `POST /login` answer. */
export const matrixLogin = z.object({ access_token: z.string().min(1) });

/** `GET /directory/room/{alias}` answer. */
export const matrixAlias = z.object({ room_id: z.string().regex(/^!/) });

/** Standard error body; `retry_after_ms` comes with `M_LIMIT_EXCEEDED` (deprecated for the header). */
export const matrixError = z.object({
  errcode: z.string(),
  error: z.string().optional(),
  retry_after_ms: z.number().int().nonnegative().optional(),
});
