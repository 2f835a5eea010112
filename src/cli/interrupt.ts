/** SIGINT and SIGTERM as an AbortSignal, for a verb that runs until stopped (`tail`); `dispose()` removes the handlers. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => ac.abort(new Error(`stopped by ${name}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
