/**
 * An SH-4 encoder: the 16-bit opcodes a romImage needs, written from the documented encodings (Renesas SH-4 software
 * manual; every form checked against Debian's sh4-linux-gnu-as in test/asm.test.ts). Opcodes and literals are stored
 * little- or big-endian, as the CPU is strapped.
 */
import { Assembler, outOfReach, type Fixup, type Isa } from './assembler.js';

export type { Endian } from './assembler.js';

/** General registers r0..r15. */
export type Reg = number;

function reg(n: Reg): number {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`no such SH register r${n}`);
  return n;
}

const nm = (base: number, n: Reg, m: Reg) => base | (reg(n) << 8) | (reg(m) << 4);

function imm8(value: number, what: string): number {
  if (!Number.isInteger(value) || value < -128 || value > 127) throw new RangeError(`${what}: #${value} is not a signed 8-bit immediate`);
  return value & 0xff;
}

/** Opcodes with register and immediate operands (no labels). */
export const SH4 = {
  nop: () => 0x0009,
  /** mov.l Rm,@Rn */
  movlStore: (m: Reg, n: Reg) => nm(0x2002, n, m),
  /** mov.w Rm,@Rn (the low 16 bits of Rm) */
  movwStore: (m: Reg, n: Reg) => nm(0x2001, n, m),
  /** mov.b Rm,@Rn (the low 8 bits of Rm) */
  movbStore: (m: Reg, n: Reg) => nm(0x2000, n, m),
  /** mov.l @Rm,Rn */
  movlLoad: (m: Reg, n: Reg) => nm(0x6002, n, m),
  /** mov.l @(disp,Rm),Rn, disp a multiple of 4 in 0..60 */
  movlLoadDisp: (disp: number, m: Reg, n: Reg) => nm(0x5000, n, m) | disp4(disp),
  /** mov.l Rm,@(disp,Rn) */
  movlStoreDisp: (m: Reg, disp: number, n: Reg) => nm(0x1000, n, m) | disp4(disp),
  /** mov #imm,Rn (sign-extended) */
  movImm: (imm: number, n: Reg) => 0xe000 | (reg(n) << 8) | imm8(imm, 'mov'),
  /** add Rm,Rn */
  add: (m: Reg, n: Reg) => nm(0x300c, n, m),
  /** add #imm,Rn */
  addImm: (imm: number, n: Reg) => 0x7000 | (reg(n) << 8) | imm8(imm, 'add'),
  /** tst Rm,Rn */
  tst: (m: Reg, n: Reg) => nm(0x2008, n, m),
  /** dt Rn: Rn -= 1, T = (Rn == 0) */
  dt: (n: Reg) => 0x4010 | (reg(n) << 8),
  /** shld Rm,Rn: Rn shifted left by Rm (right when negative) */
  shld: (m: Reg, n: Reg) => nm(0x400d, n, m),
  /** jmp @Rn (delay slot) */
  jmp: (n: Reg) => 0x402b | (reg(n) << 8),
  /** icbi @Rn: invalidate an instruction-cache block (SH-4A only) */
  icbi: (n: Reg) => 0x00e3 | (reg(n) << 8),
} as const;

function disp4(disp: number): number {
  if (!Number.isInteger(disp) || disp < 0 || disp > 60 || disp % 4 !== 0) throw new RangeError(`@(${disp},Rn): displacement must be 0..60, a multiple of 4`);
  return disp / 4;
}

const pcLiteral = (name: string, label: string, base: number): Fixup => (pc, addressOf) => {
  const t = addressOf(label);
  const delta = t - ((pc & ~3) + 4);
  if (t % 4 !== 0) throw new Error(`${name} ${label}: target not 4-byte aligned`);
  if (delta < 0 || delta > 1020) throw outOfReach(name, pc, t, '0..1020 bytes ahead');
  return base | (delta / 4);
};

const branch = (name: string, label: string, base: number, bits: 8 | 12): Fixup => (pc, addressOf) => {
  const t = addressOf(label);
  const disp = (t - (pc + 4)) / 2;
  const limit = 1 << (bits - 1);
  if (disp < -limit || disp >= limit) throw outOfReach(name, pc, t, `±${limit * 2} bytes`);
  return base | (disp & ((1 << bits) - 1));
};

/** Instructions whose operand is a label: literal loads (EA = (PC & ~3) + 4 + 4·disp) and branches (PC + 4 + 2·disp). */
export const SH4_PCREL = {
  /** mov.l label,Rn: load the 32-bit literal at label (4-aligned, 0..1020 bytes past PC + 4). */
  movlLiteral: (label: string, n: Reg) => pcLiteral('mov.l', label, 0xd000 | (reg(n) << 8)),
  /** mova label,r0: r0 = the address of label. */
  mova: (label: string) => pcLiteral('mova', label, 0xc700),
  /** bra label (delay slot). */
  bra: (label: string) => branch('bra', label, 0xa000, 12),
  /** bf label: branch when T = 0. */
  bf: (label: string) => branch('bf', label, 0x8b00, 8),
  /** bf/s label: branch when T = 0, after the delay slot. */
  bfs: (label: string) => branch('bf/s', label, 0x8f00, 8),
} as const;

export const SH4_ISA: Isa = { insnSize: 2, nop: 0x0009 };

/** An assembler for SH code starting at `origin`. */
export const sh4Assembler = (origin = 0) => new Assembler(SH4_ISA, origin);
