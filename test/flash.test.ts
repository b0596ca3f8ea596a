/** uimg flash: images at their partition offsets, erased bytes between, nothing written for an unsound layout. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBytes, memorySink } from '../src/bytes/source.js';
import { composeFlash } from '../src/layout/flash.js';
import { parseLayout } from '../src/layout/parse.js';
import { FIXTURES, runOurs, tempDir } from './helpers.js';

const LAYOUTS = join(FIXTURES, 'layouts');
const image = (name: string) => readFileSync(join(LAYOUTS, 'images', name));

describe('uimg flash', () => {
  it('places every image at its partition offset, 0xFF elsewhere', () => {
    const dir = tempDir();
    const r = runOurs('uimg', ['flash', join(LAYOUTS, 'layout-sound.json'), '-o', join(dir, 'flash.bin'), '--trim'], dir);
    expect(r.status, r.stderr.toString()).toBe(0);
    const flash = readFileSync(join(dir, 'flash.bin'));
    expect(flash.length).toBe(0x88000); // the kernel partition's start + the uImage, rounded up to a 16 KiB erase block
    const expected = Buffer.alloc(flash.length, 0xff);
    image('bootstrap.bin').copy(expected, 0);
    image('board.dtb').copy(expected, 0x40000);
    image('uImage').copy(expected, 0x80000);
    expect(flash.equals(expected)).toBe(true);
  });

  it('fills the whole device by default, with the layout\'s erased byte', async () => {
    const layout = parseLayout(JSON.stringify({
      ram: { base: 0, size: '1M' }, flash: { kind: 'sd', size: '64KiB', erasedByte: 0 },
      partitions: [{ name: 'boot', offset: '4KiB', size: '32KiB' }], images: { kernel: { file: 'k', partition: 'boot' } },
    }));
    const sink = memorySink();
    const result = await composeFlash(layout, { kernel: fromBytes(new Uint8Array([1, 2, 3])) }, sink);
    expect(result).toEqual({ size: 0x10000, placed: [{ role: 'kernel', partition: 'boot', offset: 0x1000, size: 3 }] });
    const bytes = sink.bytes();
    expect(bytes.length).toBe(0x10000);
    expect(Array.from(bytes.subarray(0xffe, 0x1005))).toEqual([0, 0, 1, 2, 3, 0, 0]);
  });

  it.each(['layout-oversize.json', 'layout-misaligned.json', 'layout-overlap.json'])('refuses %s and writes nothing', (file) => {
    const dir = tempDir();
    const r = runOurs('uimg', ['flash', join(LAYOUTS, file), '-o', join(dir, 'flash.bin')], dir);
    expect(r.status).toBe(4);
    expect(r.stderr.toString()).toMatch(/^uimg: .*layout-\w+\.json:\d+:\d+: .*\(hint: fix the layout/);
    expect(existsSync(join(dir, 'flash.bin'))).toBe(false);
  });

  it('--force composes a layout whose images still fit, never one whose images do not', () => {
    const dir = tempDir();
    const forced = runOurs('uimg', ['flash', join(LAYOUTS, 'layout-overlap.json'), '-o', join(dir, 'f.bin'), '--trim', '--force'], dir);
    expect(forced.status).toBe(0);
    const oversize = runOurs('uimg', ['flash', join(LAYOUTS, 'layout-oversize.json'), '-o', join(dir, 'g.bin'), '--force'], dir);
    expect(oversize.status).toBe(4);
    expect(oversize.stderr.toString()).toMatch(/the kernel \(20544 bytes\) does not fit partition kernel at 0x00080000/);
    expect(existsSync(join(dir, 'g.bin'))).toBe(false);
  });

  it('resolves image paths relative to the layout file, not the working directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), readFileSync(join(LAYOUTS, 'layout-sound.json')));
    const r = runOurs('uimg', ['flash', 'x.json', '-o', 'f.bin', '--trim'], dir);
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toMatch(/images\/bootstrap\.bin: cannot open: No such file or directory/);
  });
});
