/**
 * Every skipped test goes through here, so that it prints the line CI looks for (`SKIPPED` and the reason): a check
 * that drops out because a tool or a download is missing must never leave CI green without a word. .ci/run fails on
 * any such line (test/skip.test.ts proves it does).
 */
import type { TestContext } from 'vitest';

/** Say that `suite` (or part of it) does not run, and why. */
export function skipped(suite: string, reason: string): void {
  console.log(`[${suite}] SKIPPED: ${reason}`);
}

/** For `describe.skipIf` / `it.skipIf`: true, with the SKIPPED line, when `ok` is false. */
export function skipUnless(ok: boolean, suite: string, reason: string): boolean {
  if (!ok) skipped(suite, reason);
  return !ok;
}

/** Inside a running test: print the SKIPPED line, then skip the test. */
export function skipTest(ctx: TestContext, suite: string, reason: string): never {
  skipped(suite, reason);
  return ctx.skip(reason);
}
