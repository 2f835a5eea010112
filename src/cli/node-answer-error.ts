import type { ErrorCode } from '../errors/index.js';
import { PushmeshError } from '../errors/index.js';

/** The code a verb's error carries for an HTTP status of the node (exit 1 whatever it is: the command line was fine). */
function codeOf(status: number): ErrorCode {
  if (status === 404) return 'ERR_NOT_FOUND';
  if (status === 403) return 'ERR_FORBIDDEN';
  if (status === 503 || status === 507) return 'ERR_UNAVAILABLE';
  return 'ERR_IO';
}

/**
 * The running node answered with an error (`{"error":{"code","message"}}`
 * on the local API, or one refused item of `POST /msgs`). Never
 * ERR_BAD_ARGUMENT, so the CLI exits 1, not 2: what the node refuses
 * beyond the CLI's own checks is a refusal, not a usage error.
 */
export class NodeAnswerError extends PushmeshError {
  static override name = 'NodeAnswerError';
  /** HTTP status of the answer (202 for a refused item of a batch). */
  readonly status: number;
  /** The node's error code (`ERR_NOT_FOUND`, …), as it sent it. */
  readonly answerCode: string;

  /** The answer's body parsed as JSON, when it was JSON. */
  readonly body: unknown;

  constructor(status: number, answerCode: string, message: string, bodyText?: string) {
    super(codeOf(status), message);
    this.status = status;
    this.answerCode = answerCode;
    try {
      this.body = bodyText === undefined ? undefined : (JSON.parse(bodyText) as unknown);
    } catch {
      this.body = undefined;
    }
  }
}

/** The `{"error":{"code","message"}}` of an error answer, or a stand-in from the status when the body is not one. */
export function errorOfAnswer(status: number, text: string): { code: string; message: string } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code === 'string' && typeof e.message === 'string') return { code: e.code, message: e.message };
  } catch {
    /* not JSON: use the status */
  }
  return { code: `HTTP_${status}`, message: text.trim().slice(0, 200) || `HTTP ${status}` };
}
