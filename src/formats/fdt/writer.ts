/**
 * libfdt's sequential writer (fdt_create ... fdt_finish), as mkimage -f auto uses it (fit.md §1.6): header,
 * reservation map, structure block, strings block, no free space; version 17, last_comp_version 2. The strings
 * block is built back to front: a name not yet stored goes in front of the names already there (lookup searches
 * the current block, so a name can share the tail of a longer one), hence the block reads in reverse order of first
 * use. Pad bytes are zero.
 */
import { writeU32BE, writeU64BE } from '../../bytes/endian.js';
import { fdtError } from './error.js';
import {
  FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_HEADER_SIZE, FDT_MAGIC, FDT_PROP, FDT_RESERVE_ENTRY_SIZE, alignTag,
  encodeFdtHeader, nameToBytes, type FdtReservation,
} from './header.js';

/** The last_comp_version the sequential writer of U-Boot 2023.01's libfdt writes. */
export const SEQUENTIAL_LAST_COMP_VERSION = 2;

export interface SequentialWriterOptions {
  /** The header's boot_cpuid_phys (libfdt's writer leaves it 0). */
  bootCpuidPhys?: number;
}

/** Build a blob token by token: reservations first, then beginNode/property/endNode, then finish(). */
export class FdtSequentialWriter {
  private readonly reservations: FdtReservation[] = [];
  private readonly struct: Uint8Array[] = [];
  private structSize = 0;
  /** The strings block as it stands (front = most recently added name). */
  private strings = new Uint8Array(0);
  /** Per PROP token: where its nameoff word sits in `struct` and the name's distance from the block's end. */
  private readonly fixups: { part: number; fromEnd: number }[] = [];
  private depth = 0;
  private started = false;
  private finished = false;

  constructor(private readonly opts: SequentialWriterOptions = {}) {}

  /** fdt_add_reservemap_entry: only before the first node. */
  addReservation(address: bigint, size: bigint): this {
    if (this.started) throw this.state('a reservation after the structure block has begun');
    this.reservations.push({ address, size });
    return this;
  }

  beginNode(name: string): this {
    if (this.finished || (this.started && this.depth === 0)) throw this.state(`node ${JSON.stringify(name)} outside the root`);
    this.started = true;
    const n = nameToBytes(name);
    const b = new Uint8Array(4 + alignTag(n.length + 1));
    writeU32BE(b, 0, FDT_BEGIN_NODE);
    b.set(n, 4);
    this.push(b);
    this.depth++;
    return this;
  }

  /** fdt_property: the value is copied. */
  property(name: string, value: Uint8Array): this {
    if (this.depth === 0) throw this.state(`property ${JSON.stringify(name)} outside any node`);
    const fromEnd = this.stringFromEnd(nameToBytes(name));
    const b = new Uint8Array(12 + alignTag(value.length));
    writeU32BE(b, 0, FDT_PROP);
    writeU32BE(b, 4, value.length);
    b.set(value, 12);
    this.fixups.push({ part: this.struct.length, fromEnd });
    this.push(b);
    return this;
  }

  endNode(): this {
    if (this.depth === 0) throw this.state('endNode without an open node');
    const b = new Uint8Array(4);
    writeU32BE(b, 0, FDT_END_NODE);
    this.push(b);
    this.depth--;
    return this;
  }

  /** fdt_finish: the END token, the strings block after the structure block, the header; the whole blob. */
  finish(): Uint8Array {
    if (this.depth !== 0 || !this.started || this.finished) throw this.state(this.started ? `finish with ${this.depth} node(s) open` : 'finish without a root node');
    this.finished = true;
    const end = new Uint8Array(4);
    writeU32BE(end, 0, FDT_END);
    this.push(end);
    const rsvSize = (this.reservations.length + 1) * FDT_RESERVE_ENTRY_SIZE;
    const offStruct = FDT_HEADER_SIZE + rsvSize;
    const offStrings = offStruct + this.structSize;
    const total = offStrings + this.strings.length;
    const out = new Uint8Array(total);
    encodeFdtHeader({
      magic: FDT_MAGIC, totalSize: total, offDtStruct: offStruct, offDtStrings: offStrings, offMemRsvmap: FDT_HEADER_SIZE,
      version: 17, lastCompVersion: SEQUENTIAL_LAST_COMP_VERSION, bootCpuidPhys: this.opts.bootCpuidPhys ?? 0,
      sizeDtStrings: this.strings.length, sizeDtStruct: this.structSize,
    }, out);
    this.reservations.forEach((r, i) => {
      writeU64BE(out, FDT_HEADER_SIZE + 16 * i, r.address);
      writeU64BE(out, FDT_HEADER_SIZE + 16 * i + 8, r.size);
    });
    for (const f of this.fixups) writeU32BE(this.struct[f.part]!, 8, this.strings.length - f.fromEnd);
    let at = offStruct;
    for (const part of this.struct) {
      out.set(part, at);
      at += part.length;
    }
    out.set(this.strings, offStrings);
    return out;
  }

  private push(b: Uint8Array): void {
    this.struct.push(b);
    this.structSize += b.length;
  }

  /** fdt_find_add_string_ of the sequential writer: found in the current block, or put in front of it. */
  private stringFromEnd(name: Uint8Array): number {
    const s = this.strings;
    outer: for (let p = 0; p + name.length < s.length; p++) {
      for (let i = 0; i < name.length; i++) if (s[p + i] !== name[i]) continue outer;
      if (s[p + name.length] === 0) return s.length - p;
    }
    const next = new Uint8Array(name.length + 1 + s.length);
    next.set(name, 0);
    next.set(s, name.length + 1);
    this.strings = next;
    return next.length;
  }

  private state(what: string) {
    return fdtError('BADSTATE', `sequential writer: ${what}`, this.structSize, { field: 'writer' }, 'call beginNode/property/endNode in tree order, then finish');
  }
}
