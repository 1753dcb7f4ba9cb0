/** What `onair serve` needs to know to explain a failed start. */
export interface StartContext {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
}

const WRITE_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
};

/**
 * One plain sentence for a start-up failure a user can fix (a busy port, a folder onair may not
 * write, a database it cannot open), instead of a stack trace; undefined for anything else.
 */
export function explainStartupFailure(error: unknown, at: StartContext): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path, address, port } = error as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  const where = `${address ?? at.host}:${String(port ?? at.port)}`;
  if (syscall === 'listen' || syscall === 'bind') {
    if (code === 'EADDRINUSE')
      return `cannot listen on ${where}: another program already uses this port (choose another with server.port or ONAIR_SERVER_PORT, or stop the other program)`;
    if (code === 'EACCES')
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; choose another with server.port)`;
    if (code === 'EADDRNOTAVAIL')
      return `cannot listen on ${where}: this machine has no such address (check server.host)`;
  }
  if (code === 'ENOTFOUND' && syscall === 'getaddrinfo')
    return `cannot listen on ${where}: the host name "${at.host}" does not resolve (check server.host)`;
  if (code !== undefined && path !== undefined && WRITE_PROBLEMS[code] !== undefined)
    return `cannot use ${path}: ${WRITE_PROBLEMS[code]} (check dataDir, now ${at.dataDir})`;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return `the database in ${at.dataDir} is damaged or not an SQLite file (${error.message}); restore it from a backup or move it away to start afresh`;
  if (code === 'SQLITE_CANTOPEN')
    return `cannot open the database in ${at.dataDir} (check that the folder exists and onair may write to it)`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000')
    return `cannot reach the store (store.url): ${error.message}`;
  return undefined;
}
