/** Mode of secret files (private key, auth secret). */
export const SECRET_FILE_MODE = 0o600;
/**
 * Mode of public files (certificate). Public, yet 0600 as well: everything
 * the node writes under its home is 0600 (docs/configuration.md, "Home folder").
 */
export const PUBLIC_FILE_MODE = 0o600;
/** Permission bits that must be clear on a secret file: any access by group or others. */
export const GROUP_OTHER_BITS = 0o077;
