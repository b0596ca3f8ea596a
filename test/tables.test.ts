import { describe, expect, it } from 'vitest';
import { ARCH, COMP, OS, TYPE, idForName, longNameForId, namedEntriesSorted, type NameTable } from '../src/index.js';
import { validOptionsText } from '../src/cli/mkimage.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './helpers.js';

const tables: [string, NameTable, string][] = [
  ['arch', ARCH, 'list-arch.txt'], ['os', OS, 'list-os.txt'], ['comp', COMP, 'list-comp.txt'], ['type', TYPE, 'list-type.txt'],
];

describe('name tables', () => {
  it.each(tables)('%s ids run 0..n without gaps, each id once', (_, table) => {
    expect(table.entries.map((e) => e.id)).toEqual(table.entries.map((_, i) => i));
  });

  it.each(tables)('%s names and aliases are unique and lower-case', (_, table) => {
    const names = table.entries.flatMap((e) => [e.name, ...(e.aliases ?? [])]).filter((n) => n !== undefined);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toBe(n!.toLowerCase());
  });

  it.each(tables)('%s list is exactly what mkimage 2023.01 prints (golden from the real tool)', (_, table, file) => {
    const golden = readFileSync(join(FIXTURES, 'mkimage', file), 'utf8');
    // The golden files for bad names continue with the usage text after the list.
    expect(golden.startsWith(validOptionsText(table))).toBe(true);
  });

  it('counts named rows as mkimage does', () => {
    expect([ARCH, OS, TYPE, COMP].map((t) => namedEntriesSorted(t).length)).toEqual([25, 26, 41, 7]);
  });

  it('looks names up case-insensitively, with aliases, and prints the first row for an id', () => {
    expect(idForName(ARCH, 'ARM')?.id).toBe(2);
    expect(idForName(ARCH, 'ppc')?.id).toBe(7);
    expect(idForName(OS, 'LiNuX')?.id).toBe(5);
    expect(idForName(COMP, 'invalid')).toBeUndefined();
    expect(longNameForId(ARCH, 7)).toBe('PowerPC');
    expect(longNameForId(ARCH, 13)).toBe('Unknown Architecture');
    expect(longNameForId(TYPE, 22)).toBe('Unknown Image');
    expect(longNameForId(OS, 200)).toBe('Unknown OS');
    expect(longNameForId(COMP, 7)).toBe('Unknown Compression');
  });
});
