import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * Tells systemd (a `Type=notify` unit: examples/systemd/pushmesh.service)
 * the node's state, when `NOTIFY_SOCKET` is set; does nothing otherwise.
 * Node.js cannot send the unix datagram itself, so `systemd-notify` (part
 * of systemd) sends it: the unit needs `NotifyAccess=all`, as the sender is
 * a child of the node. systemd-notify waits until systemd has taken the
 * message (since systemd 246), so it is not lost when the helper exits
 * first. A failure is logged (error), never thrown: a unit that never
 * hears READY=1 fails its start on `TimeoutStartSec=`, which says why.
 */
export async function notifySystemd(fields: Record<string, string>, env: NodeJS.ProcessEnv, logger: Logger): Promise<boolean> {
  if (!env['NOTIFY_SOCKET']) return false;
  const args = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('systemd-notify', args, { env, timeout: 10_000 }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        if (stderr.trim()) err.message = stderr.trim();
        reject(err);
      });
    });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemd-notify is not installed' : (err as Error).message;
    logger.error({ reason, fields }, 'cannot tell systemd the node state (NOTIFY_SOCKET is set)');
    return false;
  }
  logger.info({ fields }, 'told systemd the node state');
  return true;
}
