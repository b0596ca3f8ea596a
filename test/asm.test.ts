// The SH-4, A32 and A64 encoders against bytes Debian's cross binutils made from fixtures/asm/*.S
// (scripts/make-asm-vectors.js; fixtures/asm/PROVENANCE.md). Where binutils are installed, the romimage
// emitters' gas output is also assembled live and compared with the encoder.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { A32, A32_PCREL, a32Assembler } from '../src/asm/a32.js';
import { A64, A64_PCREL, XZR, a64Assembler } from '../src/asm/a64.js';
import type { Endian } from '../src/asm/assembler.js';
import { SH4, SH4_PCREL, sh4Assembler } from '../src/asm/sh4.js';
import { assembleArmStub } from '../src/formats/romimage/arm-rom.js';
import { ROMIMAGE_MACROS, formatSetupAsm } from '../src/formats/romimage/script-asm.js';
import { parseScript, scriptCommands } from '../src/formats/romimage/script.js';
import { assembleCacheTail, assembleCommand, assembleCopyAndJump } from '../src/formats/romimage/sh-code.js';
import { FIXTURES, hasTool, tempDir } from './helpers.js';
import { skipUnless } from './skip.js';

const DIR = join(FIXTURES, 'asm');
const vectors = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8')) as { files: Record<string, Partial<Record<Endian, string>>> };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const vector = (file: string, endian: Endian = 'little') => vectors.files[file]![endian]!;

/** The instruction lines of a one-instruction-a-line source, as written (tabs to one space). */
function insnLines(file: string): string[] {
  return readFileSync(join(DIR, file), 'utf8').split('\n')
    .filter((l) => /^\t[a-z]/.test(l) && !/^\t\.(text|syntax|arm)/.test(l))
    .map((l) => l.trim().replace(/\s+/g, ' '));
}

function encodeAll(words: number[], size: 2 | 4, endian: Endian): string {
  const out = Buffer.alloc(words.length * size);
  words.forEach((w, i) => (size === 2 ? (endian === 'little' ? out.writeUInt16LE(w, i * 2) : out.writeUInt16BE(w, i * 2)) : out.writeUInt32LE(w, i * 4)));
  return out.toString('hex');
}

const SH4_CASES: [string, number][] = [
  ['nop', SH4.nop()],
  ['mov.l r0, @r1', SH4.movlStore(0, 1)],
  ['mov.l r7, @r15', SH4.movlStore(7, 15)],
  ['mov.w r0, @r1', SH4.movwStore(0, 1)],
  ['mov.w r5, @r2', SH4.movwStore(5, 2)],
  ['mov.b r0, @r1', SH4.movbStore(0, 1)],
  ['mov.b r9, @r3', SH4.movbStore(9, 3)],
  ['mov.l @r1, r0', SH4.movlLoad(1, 0)],
  ['mov.l @r0, r4', SH4.movlLoad(0, 4)],
  ['mov.l @(4, r0), r5', SH4.movlLoadDisp(4, 0, 5)],
  ['mov.l @(60, r2), r7', SH4.movlLoadDisp(60, 2, 7)],
  ['mov.l r5, @(4, r1)', SH4.movlStoreDisp(5, 4, 1)],
  ['mov.l r7, @(12, r1)', SH4.movlStoreDisp(7, 12, 1)],
  ['mov.l r3, @(60, r9)', SH4.movlStoreDisp(3, 60, 9)],
  ['mov #8, r4', SH4.movImm(8, 4)],
  ['mov #-1, r2', SH4.movImm(-1, 2)],
  ['mov #127, r1', SH4.movImm(127, 1)],
  ['mov #-128, r0', SH4.movImm(-128, 0)],
  ['add r1, r0', SH4.add(1, 0)],
  ['add r4, r15', SH4.add(4, 15)],
  ['add #16, r0', SH4.addImm(16, 0)],
  ['add #-32, r1', SH4.addImm(-32, 1)],
  ['tst r3, r3', SH4.tst(3, 3)],
  ['tst r0, r5', SH4.tst(0, 5)],
  ['dt r3', SH4.dt(3)],
  ['dt r14', SH4.dt(14)],
  ['shld r4, r3', SH4.shld(4, 3)],
  ['shld r4, r1', SH4.shld(4, 1)],
  ['jmp @r0', SH4.jmp(0)],
  ['jmp @r4', SH4.jmp(4)],
  ['icbi @r0', SH4.icbi(0)],
  ['icbi @r8', SH4.icbi(8)],
];

const A32_CASES: [string, number][] = [
  ['mov r0, #0', A32.movImm(0, 0)],
  ['mov r1, #0x100', A32.movImm(1, 0x100)],
  ['mov r2, #0xff000000', A32.movImm(2, 0xff000000)],
  ['mov r3, #0x3fc', A32.movImm(3, 0x3fc)],
  ['mvn r1, #0', A32.mvnImm(1, 0)],
  ['add r5, r4, #0x40', A32.addImm(5, 4, 0x40)],
  ['sub r4, pc, #20', A32.subImm(4, 15, 20)],
  ['add r5, pc, #0x3c', A32.addImm(5, 15, 0x3c)],
  ['subs r2, r2, #4', A32.subsImm(2, 2, 4)],
  ['bic r0, r0, #5', A32.bicImm(0, 0, 5)],
  ['cmp r2, #0', A32.cmpImm(2, 0)],
  ['cmp r7, #255', A32.cmpImm(7, 255)],
  ['add r0, r0, r4', A32.add(0, 0, 4)],
  ['add r12, r11, r10', A32.add(12, 11, 10)],
  ['mov r4, r1', A32.mov(4, 1)],
  ['ldr r3, [r0], #4', A32.ldrPost(3, 0, 4)],
  ['str r3, [r1], #4', A32.strPost(3, 1, 4)],
  ['ldr r9, [r8], #4095', A32.ldrPost(9, 8, 4095)],
  ['ldmia r5!, {r0, r1, r2}', A32.ldmiaWb(5, [0, 1, 2])],
  ['ldmia r0!, {r3-r10}', A32.ldmiaWb(0, [3, 4, 5, 6, 7, 8, 9, 10])],
  ['bx r4', A32.bx(4)],
  ['mrc p15, 0, r0, c1, c0, 0', A32.mrc15(0, 0, 1, 0, 0)],
  ['mcr p15, 0, r0, c1, c0, 0', A32.mcr15(0, 0, 1, 0, 0)],
  ['mcr p15, 0, r2, c7, c5, 0', A32.mcr15(0, 2, 7, 5, 0)],
  ['mov r0, r0', A32.nop()],
];

const A64_CASES: [string, number][] = [
  ['mov x4, x2', A64.mov(4, 2)],
  ['mov x1, xzr', A64.mov(1, XZR)],
  ['mov x30, x0', A64.mov(30, 0)],
  ['add x1, x1, x5', A64.add(1, 1, 5)],
  ['add x0, x29, x30', A64.add(0, 29, 30)],
  ['subs x3, x3, #16', A64.subsImm(3, 3, 16)],
  ['subs x2, x2, #4095', A64.subsImm(2, 2, 4095)],
  ['ldp x5, x6, [x1], #16', A64.ldpPost(5, 6, 1, 16)],
  ['ldp x1, x2, [x6], #-512', A64.ldpPost(1, 2, 6, -512)],
  ['stp x5, x6, [x2], #16', A64.stpPost(5, 6, 2, 16)],
  ['stp x7, x8, [x2], #504', A64.stpPost(7, 8, 2, 504)],
  ['ldr x3, [x6], #8', A64.ldrPost(3, 6, 8)],
  ['ldr x0, [x1], #-256', A64.ldrPost(0, 1, -256)],
  ['br x4', A64.br(4)],
  ['br x30', A64.br(30)],
  ['msr daifset, #0xf', A64.msrDaifset(0xf)],
  ['msr daifset, #2', A64.msrDaifset(2)],
  ['nop', A64.nop()],
];

describe('single instructions match binutils', () => {
  it.each([
    ['sh4-insns.S', SH4_CASES, 2, ['little', 'big']],
    ['a32-insns.S', A32_CASES, 4, ['little']],
    ['a64-insns.S', A64_CASES, 4, ['little']],
  ] as const)('%s', (file, cases, size, endians) => {
    expect(insnLines(file)).toEqual(cases.map(([asm]) => asm));
    for (const endian of endians) expect(encodeAll(cases.map(([, w]) => w), size, endian)).toBe(vector(file, endian));
  });

  it('refuses operands the encodings cannot hold', () => {
    expect(() => SH4.movImm(128, 0)).toThrow(RangeError);
    expect(() => SH4.movlLoadDisp(62, 0, 1)).toThrow(RangeError);
    expect(() => SH4.dt(16)).toThrow(RangeError);
    expect(() => A32.movImm(0, 0x101)).toThrow(/modified immediate/);
    expect(() => A32.ldrPost(0, 1, 4096)).toThrow(RangeError);
    expect(() => A64.ldpPost(0, 1, 2, 12)).toThrow(RangeError);
    expect(() => A64.subsImm(0, 0, 4096)).toThrow(RangeError);
  });
});

describe('label forms match binutils', () => {
  it('SH-4: mov.l/mova from aligned and unaligned PCs, branches both ways', () => {
    const build = () => {
      const a = sh4Assembler();
      a.label('start').insn(SH4_PCREL.movlLiteral('lit1', 1)).insn(SH4_PCREL.mova('lit2')).insn(SH4_PCREL.movlLiteral('lit2', 7))
        .insn(SH4_PCREL.bra('fwd')).insn(SH4.nop())
        .label('back').insn(SH4_PCREL.bf('back')).insn(SH4_PCREL.bfs('start')).insn(SH4.nop())
        .label('fwd').insn(SH4_PCREL.bra('back')).insn(SH4.nop()).insn(SH4_PCREL.bf('fwd'))
        .align(4).label('lit1').u32(0x12345678).label('lit2').u32(0xa0000000);
      return a;
    };
    expect(hex(build().assemble('little'))).toBe(vector('sh4-pcrel.S', 'little'));
    expect(hex(build().assemble('big'))).toBe(vector('sh4-pcrel.S', 'big'));
  });

  it('A32: ldr literal and adr both ways, b/beq/bgt', () => {
    const a = a32Assembler();
    a.label('start').insn(A32_PCREL.ldrLiteral(1, 'lit')).insn(A32_PCREL.adr(4, 'start')).insn(A32_PCREL.adr(5, 'lit'))
      .label('1').insn(A32_PCREL.b('2', 'eq')).insn(A32_PCREL.b('1', 'gt')).insn(A32_PCREL.b('start')).insn(A32_PCREL.ldrLiteral(15, 'lit'))
      .label('2').insn(A32_PCREL.ldrLiteral(2, 'start')).label('lit').u32(0x40008000);
    expect(hex(a.assemble())).toBe(vector('a32-pcrel.S'));
  });

  it('A64: ldr literal, adr both ways, cbz, b.cond, b', () => {
    const a = a64Assembler();
    a.label('start').insn(A64_PCREL.ldrLiteral(0, 'lit')).insn(A64_PCREL.adr(5, 'start')).insn(A64_PCREL.adr(6, 'lit'))
      .label('1').insn(A64_PCREL.cbz(3, '2')).insn(A64_PCREL.bcond('gt', '1')).insn(A64_PCREL.bcond('ne', 'start')).insn(A64_PCREL.b('2'))
      .label('2').insn(A64_PCREL.b('1')).align(8).label('lit').u64(0x40200000);
    expect(hex(a.assemble())).toBe(vector('a64-pcrel.S'));
  });

  it('an SH literal or branch out of reach is an error, not wrong code', () => {
    const a = sh4Assembler();
    a.insn(SH4_PCREL.movlLiteral('far', 1));
    for (let i = 0; i < 600; i++) a.insn(SH4.nop());
    a.align(4).label('far').u32(0);
    expect(() => a.assemble()).toThrow(/out of reach/);
  });
});

describe('romimage records match binutils (through equivalent gas macros)', () => {
  const records = parseScript(readFileSync(join(DIR, 'records.txt'), 'utf8'));
  const recordsCode = (endian: Endian) => {
    const a = sh4Assembler();
    for (const c of scriptCommands(records)) assembleCommand(a, c);
    assembleCacheTail(a, 0xa8000000);
    return a.assemble(endian);
  };

  it('every command at a 4-aligned start (20 bytes; DD 12), and the SH-4A cache tail', () => {
    for (const endian of ['little', 'big'] as const) expect(hex(recordsCode(endian))).toBe(vector('records.S', endian));
  });

  it('every command at 2 mod 4 (18 bytes; DD 14)', () => {
    const commands = scriptCommands(parseScript('ED 0xff00001c, 0x00000800\nEW 0xa4520004, 0xa507\nEB 0xa4050120, 0x5a\nWAIT 3\nDD 0xa8000000, 0xa8000000, 1\n'));
    for (const endian of ['little', 'big'] as const) {
      const a = sh4Assembler();
      const sizes: number[] = [];
      for (const c of commands) {
        a.insn(SH4.nop());
        const before = a.layout().end;
        assembleCommand(a, c);
        sizes.push(a.layout().end - before);
      }
      a.insn(SH4.nop()).align(4); // gas pads .text to its 4-byte alignment with nops
      expect(sizes).toEqual([18, 18, 18, 18, 14]);
      expect(hex(a.assemble(endian))).toBe(vector('sh4-unaligned.S', endian));
    }
  });

  it('the copy code for 4 KiB and 64 KiB pages', () => {
    for (const endian of ['little', 'big'] as const) {
      const a = sh4Assembler();
      assembleCopyAndJump(a, 12, 0x88001000);
      assembleCopyAndJump(a, 16, 0x8c010000);
      expect(hex(a.assemble(endian))).toBe(vector('sh4-copy.S', endian));
    }
  });

  it('the committed macro include is the emitter\'s macro text', () => {
    expect(readFileSync(join(DIR, 'romimage-macros.inc'), 'utf8')).toBe(ROMIMAGE_MACROS);
  });

  it.skipIf(skipUnless(hasTool('sh4-linux-gnu-as'), 'asm', 'sh4-linux-gnu-as not found (apt-get install binutils-sh4-linux-gnu)'))('the emitted gas source assembles to the encoder\'s bytes (live, both byte orders)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'setup.S'), formatSetupAsm(records, { icbiAddress: 0xa8000000 }, 'records.txt'));
    for (const endian of ['little', 'big'] as const) {
      execFileSync('sh4-linux-gnu-as', [endian === 'little' ? '-little' : '-big', '-o', join(dir, 'setup.o'), join(dir, 'setup.S')]);
      execFileSync('sh4-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'setup.o'), join(dir, 'setup.bin')]);
      expect(hex(readFileSync(join(dir, 'setup.bin')))).toBe(hex(recordsCode(endian)));
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('ARM ROM stubs match binutils', () => {
  const cases: [string, Parameters<typeof assembleArmStub>][] = [
    ['a32-stub.S', ['arm', { machineId: 0x8e0, dtbAddress: 0x43700000, entry: 0x42000000,
      copies: [{ romOffset: 0x80, address: 0x42000000, length: 0x532200 }, { romOffset: 0x532280, address: 0x43700000, length: 0x3700 }] }]],
    ['a64-stub.S', ['arm64', { machineId: 0, dtbAddress: 0x42400000, entry: 0x40200000,
      copies: [{ romOffset: 0xa0, address: 0x40200000, length: 0x1f6dfc0 }, { romOffset: 0x1f6e060, address: 0x42400000, length: 0x1c00 }] }]],
  ];
  it.each(cases)('%s', (file, args) => {
    expect(hex(assembleArmStub(...args))).toBe(vector(file));
  });
});
