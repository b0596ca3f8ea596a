/**
 * Differential test: U-Boot 2023.01's mkenvimage and ours on many generated environment texts (seeded, so a failure
 * reproduces): the same bytes, and failure exactly where mkenvimage fails. Sizes cluster around the smallest that
 * fits, where an off-by-one would show. Inputs mkenvimage mishandles (sizes of 4 bytes or less: a CRC of nothing, or
 * a segfault) are outside the generator; ours refuses them (test/uboot-env.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEnvImage, envHeaderSize, envTextToData } from '../src/formats/uboot-env/env.js';
import { hasTool, runOurs, tempDir } from './helpers.js';
import { skipped } from './skip.js';

const MKENVIMAGE = process.env.UIMG_REAL_TOOLS_DIR ? join(process.env.UIMG_REAL_TOOLS_DIR, 'mkenvimage') : 'mkenvimage';
const haveTool = hasTool(MKENVIMAGE);
if (!haveTool) skipped('uboot-env differential', `${MKENVIMAGE} not found (apt-get install u-boot-tools)`);

function generator(seed: number) {
  let s = seed;
  const next = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
  const NAMES = ['bootcmd', 'bootargs', 'a', 'x_1', 'fdt_addr_r', 'loadaddr', 'ethaddr', 'mtdparts', 'bootdelay', '#x', ''];
  const CHARS = 'abcxyz019 =,.:;${}()#\\\t\r\u0000\u00ff\u00e9'.split('');
  const value = () => Array.from({ length: next(4) === 0 ? next(200) : next(24) }, () => pick(CHARS)).join('');
  const LINES: (() => string)[] = [
    () => `${pick(NAMES)}=${value()}\n`,
    () => `${pick(NAMES)}=${value()}\n`,
    () => `${pick(NAMES)}=${value()}\\\n`,
    () => `${pick(NAMES)}=${value()}\r\n`,
    () => '\n',
    () => `#${value()}\n`,
    () => ` #${value()}\n`,
    () => `${value()}\n`,
    () => '\\\n',
    () => `#${value()}\\\n`,
  ];
  return {
    next,
    text(): string {
      let t = Array.from({ length: next(12) }, () => pick(LINES)()).join('');
      if (next(4) === 0) t = t.replace(/\n$/, '');
      if (next(8) === 0) t += pick(['\\', '#', 'a=1', '\r']);
      return t;
    },
  };
}

interface Case {
  text: Uint8Array;
  size: number;
  redundant: boolean;
  bigEndian: boolean;
  pad?: string;
}

function cases(count: number, seed: number): Case[] {
  const g = generator(seed);
  const PADS = [undefined, '0', '255', '0x5a', '7', '0xff'];
  return Array.from({ length: count }, () => {
    const text = Buffer.from(g.text(), 'latin1');
    const redundant = g.next(3) === 0;
    const needed = envTextToData(text).length + envHeaderSize(redundant);
    const size = Math.max(envHeaderSize(redundant) + 1, [needed - 1, needed, needed + 1, needed + g.next(64), 0x2000][g.next(5)]!);
    const pad = PADS[g.next(PADS.length)];
    return { text, size, redundant, bigEndian: g.next(2) === 0, ...(pad !== undefined ? { pad } : {}) };
  });
}

const flags = (c: Case) => [...(c.redundant ? ['-r'] : []), ...(c.bigEndian ? ['-b'] : []), ...(c.pad !== undefined ? ['-p', c.pad] : [])];

function runReal(c: Case, dir: string): { status: number | null; bytes?: Buffer; stderr: string } {
  const input = join(dir, 'env.txt'), out = join(dir, 'real.bin');
  writeFileSync(input, c.text);
  rmSync(out, { force: true });
  const r = spawnSync(MKENVIMAGE, ['-s', String(c.size), ...flags(c), '-o', out, input]);
  return { status: r.status, stderr: r.stderr.toString(), ...(existsSync(out) ? { bytes: readFileSync(out) } : {}) };
}

function ours(c: Case): Buffer | undefined {
  try {
    return Buffer.from(encodeEnvImage(envTextToData(c.text), {
      size: c.size, redundant: c.redundant, bigEndian: c.bigEndian, ...(c.pad !== undefined ? { padByte: Number(c.pad) } : {}),
    }));
  } catch (e) {
    if ((e as { code?: string }).code === 'SIZE_LIMIT') return undefined;
    throw e;
  }
}

describe.skipIf(!haveTool)('differential: mkenvimage 2023.01 vs ours', () => {
  const dir = tempDir('uimg-env-diff-');

  it('agrees on 400 generated environments (library)', () => {
    let failures = 0;
    for (const [i, c] of cases(400, 20240501).entries()) {
      const real = runReal(c, dir);
      const mine = ours(c);
      const label = `case ${i}: -s ${c.size} ${flags(c).join(' ')} ${JSON.stringify(c.text.toString('latin1'))}`;
      if (real.status === 0) {
        expect(mine?.equals(real.bytes!), label).toBe(true);
      } else {
        expect(real.stderr, label).toMatch(/^The environment file is too large for the target environment storage/);
        expect(mine, label).toBeUndefined();
        failures++;
      }
    }
    // The sizes are chosen so that both outcomes are well represented.
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(200);
  });

  it('agrees through the CLI, exit status included (mkenvimage 1 is our 4), with nothing left on failure', () => {
    for (const [i, c] of cases(12, 777).entries()) {
      const real = runReal(c, dir);
      const input = join(dir, 'env.txt');
      const out = join(dir, 'ours.bin');
      rmSync(out, { force: true });
      const r = runOurs('uimg', ['loader', 'uboot-env', '--from', input, '--env-size', String(c.size), ...flags(c), '-o', out], dir);
      const label = `case ${i}: ${r.stderr.toString()}`;
      expect(r.status, label).toBe(real.status === 0 ? 0 : 4);
      if (real.status === 0) expect(readFileSync(out).equals(real.bytes!), label).toBe(true);
      else expect(existsSync(out), label).toBe(false);
    }
  });

  it.each([[''], ['-r'], ['-b'], ['-r -b']])('writes the same empty environment for an empty text (%s)', (opts) => {
    const flagList = opts ? opts.split(' ') : [];
    for (const [name, text] of [['empty.txt', ''], ['blank.txt', '\n\n# nothing\n']] as const) {
      writeFileSync(join(dir, name), text);
      const real = spawnSync(MKENVIMAGE, ['-s', '0x2000', ...flagList, '-o', join(dir, 'real-empty.bin'), name], { cwd: dir });
      expect(real.status).toBe(0);
      const r = runOurs('uimg', ['loader', 'uboot-env', '--from', name, '--env-size', '0x2000', ...flagList, '-o', 'ours-empty.bin'], dir);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(readFileSync(join(dir, 'ours-empty.bin')).equals(readFileSync(join(dir, 'real-empty.bin'))), name).toBe(true);
    }
  });

  it('reads stdin as mkenvimage does with -', () => {
    const text = Buffer.from('bootcmd=run distro_bootcmd\n#c\n\nx=1\\\ny\n');
    const real = spawnSync(MKENVIMAGE, ['-s', '64', '-o', join(dir, 'stdin.bin'), '-'], { input: text });
    expect(real.status).toBe(0);
    const r = runOurs('uimg', ['loader', 'uboot-env', '--from', '-', '--env-size', '64', '-o', '-'], dir, {}, text);
    expect(r.stdout.equals(readFileSync(join(dir, 'stdin.bin')))).toBe(true);
  });
});
