/**
 * Tests that cannot go quiet (issue 12, item 7): every skip goes through test/skip.ts, which prints SKIPPED, and
 * .ci/check-skips (what .ci/run runs on the test log) fails on it. Proven on a real vitest run that skips.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const GUARD = join(ROOT, '.ci/check-skips');
/** `describe.skipIf(!haveTools)`: a flag whose reason the file prints once, through skipped(), where it sets it. */
const PLAIN_SKIP_IF = /skipIf\(!?\w+(\.length > 0| !== undefined)?\)/;

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : /\.ts$/.test(name) ? [path] : [];
  });
}

describe('every skip prints SKIPPED', () => {
  it('no test skips except through test/skip.ts (ctx.skip, skipIf, console lines of its own)', () => {
    const offenders: string[] = [];
    for (const path of testFiles(join(ROOT, 'test'))) {
      const rel = relative(ROOT, path);
      if (rel === 'test/skip.ts' || rel === 'test/skip.test.ts' || rel.startsWith('test/skip-probe-')) continue;
      readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
        const bad = /\bctx\.skip\(/.test(line) || (/\.skipIf\(/.test(line) && !/\.skipIf\(skipUnless\(/.test(line) && !PLAIN_SKIP_IF.test(line))
          || /console\.\w+\(.*SKIPPED/.test(line) || /\.(skip|todo)\(['"`]/.test(line);
        if (bad) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('a skipIf on a plain flag is only allowed where the same file prints the reason through skipped()', () => {
    for (const path of testFiles(join(ROOT, 'test'))) {
      const text = readFileSync(path, 'utf8');
      if (PLAIN_SKIP_IF.test(text)) expect(text, relative(ROOT, path)).toMatch(/\bskipped\(/);
    }
  });
});

describe('.ci/check-skips catches a skip in a real vitest run', () => {
  // The probe is a test file of this project, run by a vitest of its own (made after this run collected its files).
  const probe = join(ROOT, 'test', `skip-probe-${process.pid}.test.ts`);
  const log = join(tmpdir(), `uimg-skip-probe-${process.pid}.log`);
  afterAll(() => {
    rmSync(probe, { force: true });
    rmSync(log, { force: true });
  });

  const run = (body: string) => {
    writeFileSync(probe, `import { it, expect } from 'vitest';\nimport { skipTest, skipUnless } from './skip.js';\n${body}\n`);
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', relative(ROOT, probe)],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    rmSync(probe, { force: true });
    writeFileSync(log, r.stdout + r.stderr);
    const guard = spawnSync(GUARD, [log], { encoding: 'utf8' });
    return { vitest: r.status, guard: guard.status, log: r.stdout + r.stderr, message: guard.stderr };
  };

  it('a test that skips itself (the Debian download failed): vitest passes, the guard fails', () => {
    const r = run(`it('needs a kernel', (ctx) => { skipTest(ctx, 'probe', 'the Debian kernel download failed'); expect(1).toBe(2); });`);
    expect(r.vitest, r.log).toBe(0);
    expect(r.log).toContain('[probe] SKIPPED: the Debian kernel download failed');
    expect(r.guard).toBe(1);
    expect(r.message).toContain('a test suite was skipped');
  }, 60_000);

  it('a suite skipped for a missing tool: the guard fails; with nothing skipped it passes', () => {
    expect(run(`it.skipIf(skipUnless(false, 'probe', 'no such tool'))('needs a tool', () => undefined);`).guard).toBe(1);
    const clean = run(`it('runs', () => expect(skipUnless(true, 'probe', 'never printed')).toBe(false));`);
    expect([clean.vitest, clean.guard]).toEqual([0, 0]);
  }, 60_000);
});
