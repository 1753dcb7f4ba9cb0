/**
 * Runs `work` until it settles, the caller aborts, or the deadline passes — whichever is first.
 * On abort or timeout `cancel` tears the work down (closes its socket) and the outcome says which.
 * For client libraries that take no AbortSignal (mqtt, nodemailer).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
  cancel: () => void,
): Promise<
  | { ok: true; value: T }
  | { ok: false; reason: 'aborted' | 'timeout' }
  | { ok: false; reason: 'error'; error: unknown }
> {
  if (signal.aborted) {
    cancel();
    work.catch(() => undefined);
    return { ok: false, reason: 'aborted' };
  }
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<'aborted' | 'timeout'>((resolve) => {
    onAbort = () => {
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const outcome = await Promise.race([work.then((value) => ({ value })), stopped]);
    if (typeof outcome === 'string') {
      cancel();
      work.catch(() => undefined);
      return { ok: false, reason: outcome };
    }
    return { ok: true, value: outcome.value };
  } catch (error) {
    return { ok: false, reason: 'error', error };
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
