// Every finding rule is documented: the README's rule table is what users read when a rule fires.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../src/findings.js';
import { ROOT } from './helpers.js';

describe('rule catalogue', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (error|warning|info) \|/gm)].map((m) => `${m[1]}:${m[2]}`);
  it.each(Object.values(RULES))('$id is in the README once, with its severity', (rule) => {
    expect(rows.filter((r) => r === `${rule.id}:${rule.severity}`)).toHaveLength(1);
  });
  it('documents no rule that does not exist', () => {
    expect(rows.filter((r) => !(r.split(':')[0]! in RULES))).toEqual([]);
  });
});
