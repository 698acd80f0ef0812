/**
 * What a failure from below the engine means to a caller that must not know
 * the store: whether the store is unreachable (a retryable 503), so `http/`
 * can classify errors without importing the store.
 */
import { databaseErrorInfo } from '../store/ports.ts';

const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** A store that cannot be reached or is shutting down: retryable. */
export function isStoreUnavailable(error: unknown): boolean {
  const sqlState = databaseErrorInfo(error)?.sqlState;
  if (sqlState?.startsWith('08') || sqlState?.startsWith('57P')) return true;
  const errno = (error as { code?: unknown } | null)?.code;
  return typeof errno === 'string' && UNREACHABLE_ERRNOS.has(errno);
}
