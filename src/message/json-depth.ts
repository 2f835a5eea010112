/**
 * Deepest nesting of arrays and objects accepted in a JSON payload. V8's
 * JSON.parse takes any depth, but JSON.stringify overflows the stack a few
 * thousand levels down, so a deeper payload could never be handed to an
 * app (SSE, WebSocket). 100 is the bound docs/wire-format.md gives.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * True when `value` nests arrays/objects more than `max` levels deep (a
 * scalar is 0, `[]` is 1, `[[1]]` is 2). Iterative, so it is safe on any
 * depth, and stops at the first branch that is too deep.
 */
export function jsonDepthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push({ v: child, d: d + 1 });
    }
  }
  return false;
}
