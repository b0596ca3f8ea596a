/**
 * An A32 (ARM state) encoder for the ROM stub: the instructions it uses, written from the ARM Architecture Reference
 * Manual's encodings and checked against arm-none-eabi-as in test/asm.test.ts. Always condition AL unless a branch
 * names one. Words are stored little-endian (the stub runs before anything could switch to BE8).
 */
import { Assembler, outOfReach, type Fixup, type Isa } from './assembler.js';

export type Reg = number;

const AL = 0xe;
export const COND = { eq: 0x0, ne: 0x1, gt: 0xc, al: AL } as const;

function reg(n: Reg): number {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`no such A32 register r${n}`);
  return n;
}

/** An operand-2 immediate: 8 bits rotated right by an even amount. */
export function modifiedImmediate(value: number): number {
  const v = value >>> 0;
  for (let rot = 0; rot < 16; rot++) {
    const imm = ((v << (2 * rot)) | (v >>> (32 - 2 * rot))) >>> 0; // rotate left undoes the encoded rotate right
    if (imm < 256) return (rot << 8) | imm;
  }
  throw new RangeError(`#${value} is not an A32 modified immediate`);
}

const DP = { and: 0x0, sub: 0x2, add: 0x4, cmp: 0xa, orr: 0xc, mov: 0xd, bic: 0xe, mvn: 0xf } as const;

/** Data processing, immediate operand: op Rd, Rn, #imm (cmp sets flags and has no Rd). */
function dpImm(op: keyof typeof DP, rd: Reg, rn: Reg, imm: number, setFlags = false): number {
  const s = setFlags || op === 'cmp' ? 1 : 0;
  return ((AL << 28) | (1 << 25) | (DP[op] << 21) | (s << 20) | (reg(rn) << 16) | (reg(rd) << 12) | modifiedImmediate(imm)) >>> 0;
}

/** Data processing, register operand (no shift). */
function dpReg(op: keyof typeof DP, rd: Reg, rn: Reg, rm: Reg): number {
  return ((AL << 28) | (DP[op] << 21) | (reg(rn) << 16) | (reg(rd) << 12) | reg(rm)) >>> 0;
}

function regList(regs: readonly Reg[]): number {
  return regs.reduce((mask, r) => mask | (1 << reg(r)), 0);
}

export const A32 = {
  movImm: (rd: Reg, imm: number) => dpImm('mov', rd, 0, imm),
  mvnImm: (rd: Reg, imm: number) => dpImm('mvn', rd, 0, imm),
  addImm: (rd: Reg, rn: Reg, imm: number) => dpImm('add', rd, rn, imm),
  subImm: (rd: Reg, rn: Reg, imm: number) => dpImm('sub', rd, rn, imm),
  subsImm: (rd: Reg, rn: Reg, imm: number) => dpImm('sub', rd, rn, imm, true),
  bicImm: (rd: Reg, rn: Reg, imm: number) => dpImm('bic', rd, rn, imm),
  cmpImm: (rn: Reg, imm: number) => dpImm('cmp', 0, rn, imm),
  add: (rd: Reg, rn: Reg, rm: Reg) => dpReg('add', rd, rn, rm),
  mov: (rd: Reg, rm: Reg) => dpReg('mov', rd, 0, rm),
  /** ldr Rt,[Rn],#imm: load a word, then Rn += imm. */
  ldrPost: (rt: Reg, rn: Reg, imm: number) => (0xe4900000 | (reg(rn) << 16) | (reg(rt) << 12) | offset12(imm)) >>> 0,
  /** str Rt,[Rn],#imm */
  strPost: (rt: Reg, rn: Reg, imm: number) => (0xe4800000 | (reg(rn) << 16) | (reg(rt) << 12) | offset12(imm)) >>> 0,
  /** ldmia Rn!,{regs} */
  ldmiaWb: (rn: Reg, regs: readonly Reg[]) => (0xe8b00000 | (reg(rn) << 16) | regList(regs)) >>> 0,
  bx: (rm: Reg) => (0xe12fff10 | reg(rm)) >>> 0,
  /** mrc p15, opc1, Rt, CRn, CRm, opc2 */
  mrc15: (opc1: number, rt: Reg, crn: number, crm: number, opc2: number) => cp15(0xee100f10, opc1, rt, crn, crm, opc2),
  /** mcr p15, opc1, Rt, CRn, CRm, opc2 */
  mcr15: (opc1: number, rt: Reg, crn: number, crm: number, opc2: number) => cp15(0xee000f10, opc1, rt, crn, crm, opc2),
  /** mov r0, r0: the nop every ARM core runs (ARMv6K+ also have a hint nop, 0xe320f000) */
  nop: () => 0xe1a00000,
} as const;

function offset12(imm: number): number {
  if (!Number.isInteger(imm) || imm < 0 || imm > 4095) throw new RangeError(`#${imm}: offset must be 0..4095`);
  return imm;
}

function cp15(base: number, opc1: number, rt: Reg, crn: number, crm: number, opc2: number): number {
  return (base | (opc1 << 21) | (crn << 16) | (reg(rt) << 12) | (opc2 << 5) | crm) >>> 0;
}

/** Instructions whose operand is a label (PC reads as the instruction's address + 8). */
export const A32_PCREL = {
  /** ldr Rt, label (a word within ±4 KiB) */
  ldrLiteral: (rt: Reg, label: string): Fixup => (pc, addressOf) => {
    const t = addressOf(label);
    const delta = t - (pc + 8);
    if (Math.abs(delta) > 4095) throw outOfReach('ldr', pc, t, '±4 KiB');
    return ((delta >= 0 ? 0xe59f0000 : 0xe51f0000) | (reg(rt) << 12) | Math.abs(delta)) >>> 0;
  },
  /** adr Rd, label: add/sub Rd, pc, #delta */
  adr: (rd: Reg, label: string): Fixup => (pc, addressOf) => {
    const delta = addressOf(label) - (pc + 8);
    return delta >= 0 ? dpImm('add', rd, 15, delta) : dpImm('sub', rd, 15, -delta);
  },
  /** b{cond} label */
  b: (label: string, cond: keyof typeof COND = 'al'): Fixup => (pc, addressOf) => {
    const t = addressOf(label);
    const words = (t - (pc + 8)) / 4;
    if (words < -(1 << 23) || words >= 1 << 23) throw outOfReach('b', pc, t, '±32 MiB');
    return ((COND[cond] << 28) | 0x0a000000 | (words & 0xffffff)) >>> 0;
  },
} as const;

export const A32_ISA: Isa = { insnSize: 4, nop: A32.nop() };

export const a32Assembler = (origin = 0) => new Assembler(A32_ISA, origin);
