export { resolveHome, DEFAULT_HOME_NAME, type ResolveHomeOptions } from './resolve-home.js';
export { homeLayout, KEY_FILE, AUTH_FILE, CERT_FILE, PEERS_DIR, type HomeLayout } from './layout.js';
export { ensureHome, HOME_DIR_MODE } from './ensure-home.js';
export { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
