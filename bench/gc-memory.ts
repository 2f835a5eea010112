import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * This process's memory after two full garbage collections: RSS, and the
 * JS heap with external and ArrayBuffer memory (the idle-peer benches
 * divide the growth by the number of connections).
 */
export function gcMemory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

let collect: (() => void) | null = null;
function gc(): void {
  if (!collect) {
    setFlagsFromString('--expose_gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
