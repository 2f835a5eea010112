import { readFile } from 'node:fs/promises';
import { PushmeshError } from '../errors/index.js';

/** Largest input file a verb reads (config data, signed configs). */
export const MAX_INPUT_BYTES = 1 << 20;

/** Reads a file named on the command line, or standard input for `-`; a missing file is ERR_BAD_ARGUMENT. */
export async function readInput(file: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStdin() : await readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new PushmeshError('ERR_BAD_ARGUMENT', `cannot read ${what} ${file === '-' ? 'from standard input' : file} (${code})`, { cause: err });
  }
  if (bytes.length > MAX_INPUT_BYTES) throw new PushmeshError('ERR_BAD_ARGUMENT', `${what} ${file} is larger than ${MAX_INPUT_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `${what} ${file} is not UTF-8 text`, { cause: err });
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += b.length;
    if (total > MAX_INPUT_BYTES) break;
    chunks.push(b);
  }
  if (total > MAX_INPUT_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
  return Buffer.concat(chunks);
}
