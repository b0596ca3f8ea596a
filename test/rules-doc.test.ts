// Every finding rule is documented: the README's rule table is what users read when a rule fires.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../src/findings.js';
import { ROOT } from './helpers.js';

describe('rule catalogue', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const documented = new Set([...readme.matchAll(/^\| `([a-z0-9-]+)` \| (error|warning|info) \|/gm)].map((m) => `${m[1]}:${m[2]}`));
  it.each(Object.values(RULES))('$id is in the README with its severity', (rule) => {
    expect(documented).toContain(`${rule.id}:${rule.severity}`);
  });
});
