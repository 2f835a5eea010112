import { stat } from 'node:fs/promises';
import { PushmeshError } from '../errors/index.js';

/** Node's errno code of a file-system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wrap a file-system error as ERR_IO, saying what was being done to which path. */
export function ioError(action: string, path: string, err: unknown): PushmeshError {
  const detail = errnoCode(err) ?? (err instanceof Error ? err.message : String(err));
  return new PushmeshError('ERR_IO', `cannot ${action} ${path} (${detail})`, { cause: err });
}

/** Whether `path` exists; errors other than "not found" are ERR_IO. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw ioError('read', path, err);
  }
}
