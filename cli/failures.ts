// What `tagflow` says when a command fails (cli/main.ts): the most specific message of a
// failure chain, and hint lines attached to the error on its way up.

/** The most specific message in a failure chain (workflow → child → activity → application). */
export function rootCauseMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return message;
}

/** A line `tagflow` prints after an error's `tagflow:` line (main.ts). */
export function addHint(err: unknown, hint: string): void {
  if (!(err instanceof Error)) return;
  const before = errorHint(err);
  Object.defineProperty(err, 'tagflowHint', {
    value: before ? `${before}\n  ${hint}` : hint,
    configurable: true,
  });
}

/** The activity in a failure chain that used up its retries, if any. */
export function exhaustedActivity(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const failure = e as Error & { retryState?: string; activityType?: string };
    if (failure.activityType && failure.retryState === 'MAXIMUM_ATTEMPTS_REACHED')
      return failure.activityType;
  }
  return undefined;
}

/** The hint attached by addHint, if any. */
export function errorHint(err: unknown): string | undefined {
  return (err as { tagflowHint?: string } | undefined)?.tagflowHint;
}
