import { MemoryConfigHub } from '../../src/signed-config/index.js';
import { describeConfigChannel } from './channel-compliance.js';

describeConfigChannel('in-memory hub', async () => {
  const hub = new MemoryConfigHub();
  let n = 0;
  return { open: async () => hub.channel(`memory-${++n}`), close: async () => undefined };
});
