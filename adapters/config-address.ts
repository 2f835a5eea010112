/**
 * The (namespace, name) a signed config claims, read from its JWS payload
 * WITHOUT verifying anything: channels only use it to pick a subject or
 * attributes so the backend keeps the latest per config. Receivers verify.
 */
export function peekConfigAddress(jws: string): { namespace: string; name: string } | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { namespace, name } = payload;
    if (typeof namespace !== 'string' || typeof name !== 'string' || namespace === '' || name === '') return undefined;
    return { namespace, name };
  } catch {
    return undefined;
  }
}

/** A name as one subject token / attribute-safe word: itself when plain, else `~` + base64url of its UTF-8. */
export function addressToken(text: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(text) ? text : `~${Buffer.from(text, 'utf8').toString('base64url')}`;
}
