/** One line out of the SDK's ValidationError (its message plus the schema errors it lists). */
export function validationReason(err: unknown): string {
  const e = err as { message?: string; errors?: unknown[] };
  const errors = Array.isArray(e.errors) ? e.errors : [];
  const details = errors.map((x) => {
    if (x && typeof x === 'object' && 'message' in x) {
      const a = x as { instancePath?: string; message?: string; params?: Record<string, unknown> };
      const where = a.instancePath ? a.instancePath.replace(/^\//, '') : 'event';
      return `${where} ${a.message ?? 'is invalid'}`;
    }
    return String(x);
  });
  const head = (e.message ?? String(err)).split('\n')[0]!.trim();
  return details.length > 0 ? `${head}: ${details.join('; ')}` : head;
}
