// The board-script parser and emitters: Linux's own scripts round-trip exactly; anything else is an error that
// names its line; romimage.h and the standalone gas source carry the same commands.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UimgError } from '../src/errors.js';
import { formatRomimageHeader } from '../src/formats/romimage/script-asm.js';
import { formatScript, parseScript, scriptCommands } from '../src/formats/romimage/script.js';
import { FIXTURES, hasTool, tempDir } from './helpers.js';
import { skipUnless } from './skip.js';

const KFR2R09 = readFileSync(join(FIXTURES, 'romimage/kfr2r09-partner-jet-setup.txt'), 'utf8');
const ECOVEC24 = readFileSync(join(FIXTURES, 'romimage/ecovec24-partner-jet-setup.txt'), 'utf8');

function parseError(text: string): UimgError {
  try {
    parseScript(text);
  } catch (e) {
    if (e instanceof UimgError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('Linux\'s scripts', () => {
  it.each([['kfr2r09', KFR2R09], ['ecovec24', ECOVEC24]])('%s round-trips byte for byte', (_, text) => {
    expect(formatScript(parseScript(text))).toBe(text);
  });

  it('kfr2r09: 95 writes and waits, 4 dummy reads, in order', () => {
    const commands = scriptCommands(parseScript(KFR2R09)).filter((c) => c.op !== 'LIST');
    expect(commands).toHaveLength(99);
    expect(commands.filter((c) => c.op === 'DD')).toHaveLength(4);
    expect(commands[0]).toEqual({ op: 'EW', addr: { value: 0xa4520004, text: '0xa4520004' }, data: { value: 0xa507, text: '0xa507' } });
    expect(commands.at(-1)).toEqual({ op: 'ED', addr: { value: 0xff00001c, text: '0xff00001c' }, data: { value: 0x90b, text: '0x0000090b' } });
  });

  it('ecovec24: DD with two arguments keeps both', () => {
    const dd = scriptCommands(parseScript(ECOVEC24)).find((c) => c.op === 'DD');
    expect(dd).toEqual({ op: 'DD', addr: { value: 0x0c400000, text: '0x0c400000' }, extra: [{ value: 0x0c400000, text: '0x0c400000' }] });
  });
});

describe('syntax', () => {
  it('numbers as gas reads them: hex, decimal, octal, binary, negative', () => {
    const c = scriptCommands(parseScript('ED 0x10, 16\nED 010, 0b101\nED 0, -1\nEW 1, -32768\nEB 2, 0XfF\n'));
    expect(c.map((x) => (x.op === 'ED' || x.op === 'EW' || x.op === 'EB' ? [x.addr.value, x.data.value] : []))).toEqual([
      [16, 16], [8, 5], [0, 0xffffffff], [1, 0xffff8000], [2, 255],
    ]);
  });

  it('comments, blank lines, CRLF and lower-case commands', () => {
    const s = parseScript('ed 1, 2 ! set\r\n\r\n/* note */\r\n  // other\r\nLIST "a ! not a comment" /* c */\r\n');
    expect(s.lines).toEqual([
      { line: 1, command: { op: 'ED', addr: { value: 1, text: '1' }, data: { value: 2, text: '2' } }, comment: '! set' },
      { line: 2 },
      { line: 3, comment: '/* note */' },
      { line: 4, comment: '// other' },
      { line: 5, command: { op: 'LIST', text: 'a ! not a comment' }, comment: '/* c */' },
    ]);
    expect(formatScript(s)).toBe('ED 1, 2 ! set\n\n/* note */\n// other\nLIST "a ! not a comment" /* c */\n');
  });

  it('WAIT stores n x 100; DD takes one to three arguments', () => {
    const c = scriptCommands(parseScript('WAIT 42949672\nDD 4\nDD 4, 8\nDD 4, 8, 1\n'));
    expect(c.map((x) => x.op)).toEqual(['WAIT', 'DD', 'DD', 'DD']);
  });
});

describe('errors name the line, the field, expected and found', () => {
  it.each([
    ['ED 1, 2\nXX 1, 2\n', 2, /unknown command 'XX'/],
    ['ED 1\n', 1, /ED takes 2 arguments, found '1'/],
    ['ED 1, 2, 3\n', 1, /ED takes 2 arguments/],
    ['EW 1,\n', 1, /EW takes 2 arguments/],
    ['WAIT\n', 1, /WAIT takes 1 argument/],
    ['DD 1, 2, 3, 4\n', 1, /DD takes 1 to 3 arguments/],
    ['\n\nEB 0xa4050120, 0x100\n', 3, /EB data: 0x100 does not fit 8 bits/],
    ['EW 0, 0x10000\n', 1, /EW data: 0x10000 does not fit 16 bits/],
    ['EW 0, -32769\n', 1, /does not fit 16 bits/],
    ['ED 0x100000000, 0\n', 1, /ED address: 0x100000000 does not fit 32 bits/],
    ['WAIT 42949673\n', 1, /WAIT 42949673: .* do not fit 32 bits/],
    ['ED 1+2, 0\n', 1, /ED address: '1\+2' is not a number/],
    ['ED 09, 0\n', 1, /'09' is not a number/],
    ['ED abc, 0\n', 1, /'abc' is not a number/],
    ['LIST unquoted\n', 1, /LIST needs one quoted string/],
    ['LIST "open\n', 1, /unterminated string/],
    ['ED 1, 2 /* open\n', 1, /unterminated \/\* comment/],
    ['ED 1, 2 /* c */ ED 3, 4\n', 1, /text after a comment/],
    ['#include <x>\n', 1, /unknown command '#include'/],
  ])('%j -> line %i', (text, line, message) => {
    const e = parseError(text);
    expect(e.code).toBe('BAD_SCRIPT');
    expect(e.message).toMatch(new RegExp(`^line ${line}: `));
    expect(e.message).toMatch(message);
    expect(e.data.line).toBe(line);
  });

  it('a width error says the range', () => {
    expect(parseError('EB 0, 256\n').data).toMatchObject({ expected: '-128 .. 0xff', actual: '256' });
  });
});

describe('romimage.h', () => {
  const header = formatRomimageHeader(parseScript(KFR2R09), { icbiAddress: 0xa8000000 }, 'partner-jet-setup.txt');

  it('has the layout of Linux\'s mach/romimage.h: macros include, the script, the SH-4A tail, the C stub', () => {
    expect(header).toContain('#ifdef __ASSEMBLY__\n\n#include <asm/romimage-macros.h>\n\n');
    expect(header).toContain(KFR2R09);
    expect(header).toMatch(/icbi\t@r0[\s\S]*\.long\t0xa8000000\n2:\n\n#else \/\* __ASSEMBLY__ \*\/\n\nstatic inline void mmcif_update_progress\(int nr\)\n\{\n\}\n\n#endif/);
  });

  it('without a tail, the script alone', () => {
    expect(formatRomimageHeader(parseScript('ED 1, 2\n'), {}, 'x')).not.toContain('icbi');
  });

  it.skipIf(skipUnless(hasTool('cpp') && hasTool('sh4-linux-gnu-as'), 'romimage-script', 'cpp or sh4-linux-gnu-as not found (apt-get install cpp binutils-sh4-linux-gnu)'))('goes through cpp and gas as head.S includes it (live)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'asm'));
    // The kernel's asm/romimage-macros.h is GPL and not committed; our macros behave the same (test/asm.test.ts).
    writeFileSync(join(dir, 'asm/romimage-macros.h'), readFileSync(join(FIXTURES, 'asm/romimage-macros.inc')));
    writeFileSync(join(dir, 'romimage.h'), header);
    writeFileSync(join(dir, 'head.S'), '\t.text\n#include "romimage.h"\n');
    execFileSync('sh', ['-c', 'cpp -D__ASSEMBLY__ -I. -P head.S > head.s && sh4-linux-gnu-as -little -o head.o head.s && sh4-linux-gnu-objcopy -O binary -j .text head.o head.bin'], { cwd: dir });
    const golden = readFileSync(join(FIXTURES, 'romimage/kfr2r09-romimage-head.bin'));
    expect(readFileSync(join(dir, 'head.bin')).equals(golden.subarray(0, 0x7ac))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
