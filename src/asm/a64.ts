/**
 * An A64 encoder for the AArch64 ROM stub: the instructions it uses, written from the Arm ARM's encodings and checked
 * against aarch64-linux-gnu-as in test/asm.test.ts. 64-bit registers x0..x30; 31 is xzr (or sp where the form says).
 * Instructions are always little-endian.
 */
import { Assembler, outOfReach, type Fixup, type Isa } from './assembler.js';

export type Reg = number;
export const XZR = 31;

export const A64_COND = { eq: 0x0, ne: 0x1, gt: 0xc } as const;

function reg(n: Reg): number {
  if (!Number.isInteger(n) || n < 0 || n > 31) throw new RangeError(`no such A64 register x${n}`);
  return n;
}

function pairOffset(imm: number): number {
  if (!Number.isInteger(imm) || imm % 8 !== 0 || imm < -512 || imm > 504) throw new RangeError(`#${imm}: pair offset must be a multiple of 8 in -512..504`);
  return ((imm / 8) & 0x7f) << 15;
}

function imm9(imm: number): number {
  if (!Number.isInteger(imm) || imm < -256 || imm > 255) throw new RangeError(`#${imm}: offset must be -256..255`);
  return (imm & 0x1ff) << 12;
}

function imm12(imm: number): number {
  if (!Number.isInteger(imm) || imm < 0 || imm > 4095) throw new RangeError(`#${imm}: immediate must be 0..4095`);
  return imm << 10;
}

const rt2nt = (base: number, rt: Reg, rt2: Reg, rn: Reg) => (base | (reg(rt2) << 10) | (reg(rn) << 5) | reg(rt)) >>> 0;

export const A64 = {
  /** mov Xd, Xm (orr Xd, xzr, Xm) */
  mov: (rd: Reg, rm: Reg) => (0xaa0003e0 | (reg(rm) << 16) | reg(rd)) >>> 0,
  /** add Xd, Xn, Xm */
  add: (rd: Reg, rn: Reg, rm: Reg) => (0x8b000000 | (reg(rm) << 16) | (reg(rn) << 5) | reg(rd)) >>> 0,
  /** subs Xd, Xn, #imm */
  subsImm: (rd: Reg, rn: Reg, imm: number) => (0xf1000000 | imm12(imm) | (reg(rn) << 5) | reg(rd)) >>> 0,
  /** ldp Xt, Xt2, [Xn], #imm */
  ldpPost: (rt: Reg, rt2: Reg, rn: Reg, imm: number) => (rt2nt(0xa8c00000, rt, rt2, rn) | pairOffset(imm)) >>> 0,
  /** stp Xt, Xt2, [Xn], #imm */
  stpPost: (rt: Reg, rt2: Reg, rn: Reg, imm: number) => (rt2nt(0xa8800000, rt, rt2, rn) | pairOffset(imm)) >>> 0,
  /** ldr Xt, [Xn], #imm */
  ldrPost: (rt: Reg, rn: Reg, imm: number) => (0xf8400400 | imm9(imm) | (reg(rn) << 5) | reg(rt)) >>> 0,
  br: (rn: Reg) => (0xd61f0000 | (reg(rn) << 5)) >>> 0,
  /** msr daifset, #mask: mask debug, SError, IRQ, FIQ */
  msrDaifset: (mask: number) => (0xd503401f | ((mask & 0xf) << 8) | (6 << 5)) >>> 0,
  nop: () => 0xd503201f,
} as const;

function pcWords(name: string, pc: number, target: number, bits: number): number {
  const words = (target - pc) / 4;
  if (!Number.isInteger(words)) throw new Error(`${name}: target 0x${target.toString(16)} not 4-byte aligned`);
  const limit = 2 ** (bits - 1);
  if (words < -limit || words >= limit) throw outOfReach(name, pc, target, `±${limit * 4} bytes`);
  return words & (2 ** bits - 1);
}

/** Instructions whose operand is a label (relative to the instruction's own address). */
export const A64_PCREL = {
  /** ldr Xt, label (64-bit literal) */
  ldrLiteral: (rt: Reg, label: string): Fixup => (pc, at) => (0x58000000 | (pcWords('ldr', pc, at(label), 19) << 5) | reg(rt)) >>> 0,
  /** adr Xd, label (±1 MiB, byte granular) */
  adr: (rd: Reg, label: string): Fixup => (pc, at) => {
    const delta = at(label) - pc;
    if (delta < -(1 << 20) || delta >= 1 << 20) throw outOfReach('adr', pc, at(label), '±1 MiB');
    const imm = delta & 0x1fffff;
    return (0x10000000 | ((imm & 3) << 29) | ((imm >>> 2) << 5) | reg(rd)) >>> 0;
  },
  b: (label: string): Fixup => (pc, at) => (0x14000000 | pcWords('b', pc, at(label), 26)) >>> 0,
  bcond: (cond: keyof typeof A64_COND, label: string): Fixup => (pc, at) =>
    (0x54000000 | (pcWords(`b.${cond}`, pc, at(label), 19) << 5) | A64_COND[cond]) >>> 0,
  cbz: (rt: Reg, label: string): Fixup => (pc, at) => (0xb4000000 | (pcWords('cbz', pc, at(label), 19) << 5) | reg(rt)) >>> 0,
} as const;

export const A64_ISA: Isa = { insnSize: 4, nop: A64.nop() };

export const a64Assembler = (origin = 0) => new Assembler(A64_ISA, origin);
