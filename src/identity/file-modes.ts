/** Mode of secret files (private key, auth secret). */
export const SECRET_FILE_MODE = 0o600;
/** Mode of public files (certificate, peer cards). */
export const PUBLIC_FILE_MODE = 0o644;
/** Permission bits that must be clear on a secret file: any access by group or others. */
export const GROUP_OTHER_BITS = 0o077;
