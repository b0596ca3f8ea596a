import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** The core must run in a browser: only src/node and src/cli may import node:* modules or read the process. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('pure core', () => {
  const core = files(join(ROOT, 'src')).filter((f) => !/\/src\/(node|cli)\//.test(f));
  it.each(core.map((f) => relative(ROOT, f)))('%s uses no node:*, fs, process or clock', (f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    expect(text).not.toMatch(/from ['"](node:|fs|path|os|child_process)/);
    expect(text).not.toMatch(/\bprocess\.|Date\.now\(|new Date\(\)/);
  });
});
