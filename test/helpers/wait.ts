/**
 * Waiting on a condition instead of sleeping: a test that must show "nothing more
 * happens" first waits for a state that proves the system is done (the outbox has
 * nothing pending, a file exists), then asserts.
 */

/**
 * Polls `probe` until it returns something other than `undefined`/`false`, and
 * resolves with that value; rejects after `timeoutMs` naming `what` was awaited.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
