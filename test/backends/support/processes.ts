import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `re` in the output (already there or still to come). */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Stops the process (its whole group when `group`) by PID and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a program and collects its output; `group` makes it the leader of a new process group. */
export function startProcess(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; group?: boolean } = {}): StartedProcess {
  const child = spawn(command, args, { env: opts.env ?? process.env, detached: opts.group ?? false, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(() => undefined);
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(out);
          if (m) {
            finish();
            resolve(m);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${command}: no ${re} within ${timeoutMs} ms; output:\n${out.slice(-2000)}`));
        }, timeoutMs);
        const onExit = (): void => {
          if (check()) return;
          finish();
          reject(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before ${re}; output:\n${out.slice(-2000)}`));
        };
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(onChange);
          child.off('exit', onExit);
        };
        const onChange = (): void => void check();
        if (check()) return;
        listeners.add(onChange);
        child.once('exit', onExit);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (opts.group) process.kill(-child.pid!, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          if (opts.group) process.kill(-child.pid!, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
