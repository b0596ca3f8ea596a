/** The binary U-Boot environment: goldens made by mkenvimage (fixtures/uboot-env/PROVENANCE.md), round trips, refusals. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../src/bytes/crc32.js';
import { UimgError } from '../src/errors.js';
import { decodeEnvImage, encodeEnvImage, envTextToData, envVarsToData } from '../src/formats/uboot-env/env.js';
import { FIXTURES, fixture, runOurs, tempDir } from './helpers.js';

const DIR = join(FIXTURES, 'uboot-env');
const text = (s: string) => new TextEncoder().encode(s);
const data = (s: string) => Array.from(envTextToData(text(s)), (b) => (b === 0 ? '|' : String.fromCharCode(b))).join('');

const GOLDENS = [
  { file: 'env-8k.bin', input: 'env.txt', opts: { size: 0x2000 } },
  { file: 'env-8k-redundant-be.bin', input: 'env.txt', opts: { size: 0x2000, redundant: true, bigEndian: true } },
  { file: 'env-4k-pad0.bin', input: 'env.txt', opts: { size: 4096, padByte: 0 } },
  { file: 'env-tight.bin', input: 'env.txt', opts: { size: 317 } },
  { file: 'crlf-16-redundant.bin', input: 'crlf.txt', opts: { size: 16, redundant: true } },
];

describe('mkenvimage text rules', () => {
  it.each([
    ['a=1\nb=2\n', 'a=1|b=2||'],
    ['a=1\nb=2', 'a=1|b=2||'],
    ['', '|'],
    ['\n\n#only a comment\n', '|'],
    ['#x', '|'],
    [' #kept\n', ' #kept||'],
    ['a=1\\\nb=2\n', 'a=1\nb=2||'],
    ['a=1\\\\\nb=2\n', 'a=1\\\nb=2||'],
    ['a=1\\\n\nb\n', 'a=1\nb||'],
    ['a=1\\\n#x\nb=2\n', 'a=1\nb=2||'],
    ['a=1\\', 'a=1\\||'],
    ['a=1\r\nb=2\r\n', 'a=1\r|b=2\r||'],
    ['noequals\n', 'noequals||'],
    ['a=\u00001\n', 'a=|1||'],
  ])('%j', (input, expected) => expect(data(input)).toBe(expected));
});

describe('binary environment', () => {
  it.each(GOLDENS)('$file is rebuilt byte for byte', ({ file, input, opts }) => {
    expect(Buffer.from(encodeEnvImage(envTextToData(fixture(`uboot-env/${input}`)), opts)).equals(readFileSync(join(DIR, file)))).toBe(true);
  });

  it.each(GOLDENS)('$file decodes with its CRC, layout and variables', ({ file, opts }) => {
    const env = decodeEnvImage(fixture(`uboot-env/${file}`));
    expect(env).toMatchObject({ crcOk: true, redundant: !!opts.redundant, bigEndian: !!opts.bigEndian });
    expect(env.vars.length).toBeGreaterThan(0);
  });

  it('decodes the variables mkenvimage stored', () => {
    const env = decodeEnvImage(fixture('uboot-env/env-8k.bin'));
    expect(Object.fromEntries(env.vars)).toMatchObject({
      bootdelay: '1', empty: '', 'bootcmd': 'nand read ${loadaddr} 0x200000 0x600000; \n  bootm ${loadaddr} - ${fdt_addr_r}',
      '  # an indented hash is kept': '',
    });
    expect(env.used).toBe(313);
  });

  it('lays out CRC, flags and padding as U-Boot reads them', () => {
    const image = encodeEnvImage(envVarsToData([['a', '1']]), { size: 16, redundant: true, bigEndian: true, padByte: 0x5a });
    expect(Array.from(image.subarray(4))).toEqual([1, 0x61, 0x3d, 0x31, 0, 0, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a]);
    expect(Buffer.from(image).readUInt32BE(0)).toBe(crc32(image.subarray(5)));
  });

  it('reports a damaged CRC', () => {
    const image = fixture('uboot-env/env-8k.bin').slice();
    image[100] ^= 1;
    expect(decodeEnvImage(image).crcOk).toBe(false);
  });

  it('refuses variables that do not fit, sizes that leave no room and bad names', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { return e as UimgError; } throw new Error('no error'); };
    const tooLarge = err(() => encodeEnvImage(envTextToData(fixture('uboot-env/env.txt')), { size: 316 }));
    expect(tooLarge.code).toBe('SIZE_LIMIT');
    expect(tooLarge.message).toMatch(/^The environment file is too large for the target environment storage: the variables take 313 bytes, the environment holds 312/);
    expect(err(() => encodeEnvImage(envTextToData(text('')), { size: 4 })).code).toBe('BAD_VALUE');
    expect(err(() => encodeEnvImage(envTextToData(text('')), { size: 5, redundant: true })).code).toBe('BAD_VALUE');
    expect(err(() => encodeEnvImage(envTextToData(text('')), { size: 16, padByte: 256 })).code).toBe('BAD_VALUE');
    expect(err(() => envVarsToData([['a=b', 'c']])).code).toBe('BAD_VALUE');
  });
});

describe('uimg loader uboot-env', () => {
  it('writes the golden files', () => {
    const dir = tempDir();
    const r = runOurs('uimg', ['loader', 'uboot-env', '--from', join(DIR, 'env.txt'), '--env-size', '0x2000', '-r', '-b', '-o', join(dir, 'e.bin')], dir);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(join(dir, 'e.bin')).equals(readFileSync(join(DIR, 'env-8k-redundant-be.bin')))).toBe(true);
  });

  it('reads stdin, writes stdout, and says why when the text does not fit', () => {
    const dir = tempDir();
    const ok = runOurs('uimg', ['loader', 'uboot-env', '--from', '-', '-s', '4096', '-p', '0', '-o', '-'], dir, {}, fixture('uboot-env/env.txt'));
    expect(ok.status).toBe(0);
    expect(ok.stdout.equals(readFileSync(join(DIR, 'env-4k-pad0.bin')))).toBe(true);
    const bad = runOurs('uimg', ['loader', 'uboot-env', '--from', join(DIR, 'env.txt'), '-s', '316', '-o', join(dir, 'no.bin')], dir);
    expect(bad.status).toBe(4);
    expect(bad.stderr.toString()).toMatch(/env\.txt: The environment file is too large for the target environment storage.*hint: raise the environment size to at least 317/);
    const badSize = runOurs('uimg', ['loader', 'uboot-env', '--from', join(DIR, 'env.txt'), '-s', '16q', '-o', join(dir, 'no.bin')], dir);
    expect(badSize.status).toBe(2);
    expect(runOurs('uimg', ['loader', 'uboot-env', '--from', join(DIR, 'nope.txt'), '-s', '16', '-o', join(dir, 'no.bin')], dir).status).toBe(3);
  });
});
