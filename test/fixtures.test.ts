/**
 * Golden files made by U-Boot's real mkimage (fixtures/mkimage/PROVENANCE.md): our mkimage, run with the recorded
 * command, must write the same bytes and print the same text; our lists must equal the tool's.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, maskOffsets, runOurs, tempDir } from './helpers.js';

interface Manifest {
  images: { file: string; listing: string; env: Record<string, string>; args: string[] }[];
  lists: { file: string; args: string[]; exit: number }[];
}
const dir = join(FIXTURES, 'mkimage');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

describe('golden images from U-Boot mkimage 2023.01', () => {
  const work = tempDir();
  cpSync(join(dir, 'in'), join(work, 'in'), { recursive: true });

  it.each(manifest.images)('$file: same bytes and listing', ({ file, listing, env, args }) => {
    const r = runOurs('mkimage', args, work, env);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(maskOffsets(r.stdout.toString())).toBe(maskOffsets(readFileSync(join(dir, listing), 'utf8')));
    expect(Buffer.compare(readFileSync(join(work, file)), readFileSync(join(dir, file)))).toBe(0);
  });

  it.each(manifest.images)('$file: mkimage -l and dumpimage -l list it as made', ({ file, listing }) => {
    const golden = maskOffsets(readFileSync(join(dir, listing), 'utf8'));
    for (const tool of ['mkimage', 'dumpimage'] as const) {
      const r = runOurs(tool, ['-l', file], dir, { TZ: 'UTC' });
      expect(r.status).toBe(0);
      expect(maskOffsets(r.stdout.toString())).toBe(golden);
    }
  });

  it.each(manifest.lists)('$file: the same list, stream and exit code', ({ file, args, exit }) => {
    const r = runOurs('mkimage', args, work);
    expect(r.status).toBe(exit);
    expect(r.stderr.toString()).toBe(readFileSync(join(dir, file), 'utf8'));
  });
});
