/**
 * A loader jumps into the payload's real format, not the uImage's label: a compressed stream labelled -C none is
 * refused by the copy-and-jump emitters, judged unbootable by `layout check` and by inspect's loader verdicts, all
 * from the one detection (src/layout/kernel.ts).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runOurs, tempDir } from './helpers.js';

const LAYOUTS = join(FIXTURES, 'layouts');

/** The fixture zImage, gzip'd, wrapped as `mkimage -C none` (mislabelled) and `-C gzip` (honest). */
function images(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'z.gz'), gzipSync(readFileSync(join(LAYOUTS, 'images', 'zImage')), { level: 9 }));
  copyFileSync(join(LAYOUTS, 'images', 'uImage'), join(dir, 'uImage'));
  for (const [comp, out] of [['none', 'mislabelled.uimg'], ['gzip', 'gzip.uimg']]) {
    const r = runOurs('mkimage', ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', comp!, '-a', '0x20008000', '-e', '0x20008000', '-n', 'x', '-d', 'z.gz', out!], dir,
      { SOURCE_DATE_EPOCH: '0' });
    expect(r.status, r.stderr.toString()).toBe(0);
  }
  return dir;
}

const uimg = (args: string[], cwd: string) => {
  const r = runOurs('uimg', args, cwd);
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
};

describe('a compressed kernel labelled uncompressed', () => {
  const dir = images();

  it('at91bootstrap refuses it, naming the file, the label and the data', () => {
    const r = uimg(['loader', 'at91bootstrap', '--kernel', 'mislabelled.uimg', '--media', 'nand', '--img-address', '0x200000', '--jump-addr', '0x22000000', '-o', 'f'], dir);
    expect(r.status).toBe(4);
    expect(r.err).toMatch(/^uimg: mislabelled\.uimg: AT91Bootstrap cannot boot this uImage: the header says none, the data is gzip compressed/);
  });

  it('c-header refuses it', () => {
    const r = uimg(['loader', 'c-header', '--kernel', 'mislabelled.uimg', '--img-address', '0x200000', '-o', 'h.h'], dir);
    expect(r.status).toBe(4);
    expect(r.err).toMatch(/^uimg: mislabelled\.uimg: the header says none, the data is gzip compressed/);
  });

  it('a bare compressed file is named for what it is', () => {
    const r = uimg(['loader', 'at91bootstrap', '--kernel', 'z.gz', '--media', 'nand', '--img-address', '0x200000', '--jump-addr', '0x22000000'], dir);
    expect(r.status).toBe(4);
    expect(r.err).toMatch(/z\.gz: not a kernel: gzip-compressed data/);
  });

  it('inspect: AT91Bootstrap says no, like U-Boot and kexec-tools', () => {
    const r = uimg(['inspect', 'mislabelled.uimg'], dir);
    expect(r.out).toMatch(/AT91Bootstrap +no +the header says none, the data is gzip compressed/);
    expect(r.out).not.toMatch(/AT91Bootstrap +yes/);
    // Kept quiet: the honest uncompressed uImage.
    expect(uimg(['inspect', 'uImage'], dir).out).toMatch(/AT91Bootstrap +yes/);
  });

  it.each([['at91bootstrap', 'mislabelled.uimg', true], ['u-boot', 'mislabelled.uimg', true], ['u-boot', 'gzip.uimg', false], ['at91bootstrap', 'uImage', false]])(
    'layout check, %s with %s: loader-cannot-boot %s', (loader, kernel, fires) => {
      const layout = JSON.parse(readFileSync(join(LAYOUTS, 'layout-sound.json'), 'utf8'));
      layout.loader = loader;
      layout.images = { kernel: { file: kernel, partition: 'kernel', ramAddress: '0x22000000' } };
      writeFileSync(join(dir, 'board.json'), JSON.stringify(layout));
      const r = uimg(['layout', 'check', 'board.json'], dir);
      expect(r.out.includes('loader-cannot-boot'), r.out).toBe(fires);
      if (fires) expect(r.out).toMatch(/the header says none, the data is gzip compressed/);
    });
});
