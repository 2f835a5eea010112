export { resolveHome, DEFAULT_HOME_NAME, type ResolveHomeOptions } from './resolve-home.js';
export { homeLayout, KEY_FILE, AUTH_FILE, CERT_FILE, PEERS_DIR, type HomeLayout } from './layout.js';
export { ensureHome, HOME_DIR_MODE } from './ensure-home.js';
export { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.js';
export { acquireHomeLock, readLockPid, processAlive, LOCK_FILE, type HomeLock, type AcquireOptions } from './home-lock.js';
export { checkHomeModes, octalMode, HOME_FILE_MODE, HOME_FOLDER_MODE, STORE_FILES, type LooseEntry, type CheckModesOptions } from './home-modes.js';
export { prepareHome } from './prepare-home.js';
