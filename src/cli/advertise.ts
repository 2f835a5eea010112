import type { CliContext } from './context.js';

/** Endpoint origin put in the card when nothing else is said: the default HTTPS listener. */
export const DEFAULT_ADVERTISE = 'https://127.0.0.1:15443';

/** The origin advertised in the card: `--advertise` > `$PUSHMESH_ADVERTISE` > default. */
export function advertisedOrigin(flag: string | undefined, ctx: CliContext): string {
  const env = ctx.env['PUSHMESH_ADVERTISE'];
  if (flag !== undefined && flag !== '') return flag;
  if (env !== undefined && env !== '') return env;
  return DEFAULT_ADVERTISE;
}
