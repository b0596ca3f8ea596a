/**
 * A two-pass assembler for straight, position-independent machine code with fixed-size instructions (SH-4: 2 bytes,
 * A32/A64: 4 bytes): labels, instructions whose encoding depends on their own address and a label's (PC-relative
 * loads and branches), alignment filled with the ISA's nop, and naturally aligned 32/64-bit literals.
 * Sizes never depend on labels, so one pass places everything and the second encodes.
 */
export type Endian = 'little' | 'big';

/** Encodes an instruction at address `pc`, given a way to look up labels. */
export type Fixup = (pc: number, addressOf: (label: string) => number) => number;

type Item =
  | { kind: 'insn'; encode: number | Fixup }
  | { kind: 'align'; to: number }
  | { kind: 'data'; bytes: 4 | 8; value: number | bigint | string }
  | { kind: 'label'; name: string };

export interface Isa {
  /** Bytes an instruction takes. */
  insnSize: 2 | 4;
  /** The opcode gas fills code alignment with. */
  nop: number;
}

export class Assembler {
  private readonly items: Item[] = [];
  private nextLocal = 0;

  constructor(
    readonly isa: Isa,
    readonly origin = 0,
  ) {
    if (origin % isa.insnSize !== 0) throw new RangeError(`code must start on a ${isa.insnSize}-byte boundary`);
  }

  /** A label name no other call returns. */
  local(): string {
    return `.L${this.nextLocal++}`;
  }

  insn(encode: number | Fixup): this {
    this.items.push({ kind: 'insn', encode });
    return this;
  }

  label(name: string): this {
    this.items.push({ kind: 'label', name });
    return this;
  }

  /** Pad with nops to a multiple of `to` bytes. */
  align(to: number): this {
    this.items.push({ kind: 'align', to });
    return this;
  }

  /** A 32-bit literal: a value, or a label's address. Must land 4-aligned. */
  u32(value: number | string): this {
    if (typeof value === 'number' && (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff)) {
      throw new RangeError(`.long ${value} does not fit 32 bits`);
    }
    this.items.push({ kind: 'data', bytes: 4, value });
    return this;
  }

  /** A 64-bit literal. Must land 8-aligned. */
  u64(value: number | bigint): this {
    this.items.push({ kind: 'data', bytes: 8, value });
    return this;
  }

  private sizeAt(it: Item, pc: number): number {
    switch (it.kind) {
      case 'insn':
        return this.isa.insnSize;
      case 'align':
        return (it.to - (pc % it.to)) % it.to;
      case 'data':
        if (pc % it.bytes !== 0) throw new Error(`a ${it.bytes}-byte literal at 0x${pc.toString(16)} is not aligned`);
        return it.bytes;
      case 'label':
        return 0;
    }
  }

  /** Address of every label, and the end address. */
  layout(): { labels: Map<string, number>; end: number } {
    const labels = new Map<string, number>();
    let pc = this.origin;
    for (const it of this.items) {
      if (it.kind === 'label') {
        if (labels.has(it.name)) throw new Error(`label ${it.name} defined twice`);
        labels.set(it.name, pc);
      }
      pc += this.sizeAt(it, pc);
    }
    return { labels, end: pc };
  }

  assemble(endian: Endian = 'little'): Uint8Array {
    const { labels, end } = this.layout();
    const addressOf = (name: string) => {
      const at = labels.get(name);
      if (at === undefined) throw new Error(`undefined label ${name}`);
      return at;
    };
    const out = new Uint8Array(end - this.origin);
    const view = new DataView(out.buffer);
    const le = endian === 'little';
    const put = (at: number, opcode: number) =>
      this.isa.insnSize === 2 ? view.setUint16(at, opcode, le) : view.setUint32(at, opcode >>> 0, le);
    let pc = this.origin;
    for (const it of this.items) {
      const at = pc - this.origin;
      const size = this.sizeAt(it, pc);
      if (it.kind === 'insn') put(at, typeof it.encode === 'number' ? it.encode : it.encode(pc, addressOf));
      else if (it.kind === 'align') for (let i = 0; i < size; i += this.isa.insnSize) put(at + i, this.isa.nop);
      else if (it.kind === 'data') {
        const v = typeof it.value === 'string' ? addressOf(it.value) : it.value;
        if (it.bytes === 4) view.setUint32(at, Number(v) >>> 0, le);
        else view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), le);
      }
      pc += size;
    }
    return out;
  }
}

/** A PC-relative operand out of its instruction's reach: the image is laid out too far apart. */
export function outOfReach(insn: string, pc: number, target: number, range: string): RangeError {
  return new RangeError(`${insn} at 0x${pc.toString(16)}: target 0x${target.toString(16)} is out of reach (${range})`);
}
