/**
 * The blob dtc 1.6.1 writes (flattree.c, version 17): header with last_comp_version 16, the reservation block (the
 * entries, -R empty slots, the terminator), the structure block (nodes depth-first, each node's properties then its
 * children, values padded to 4 bytes with zeros) and the strings block (names in first-use order; a name that ends
 * an earlier one shares its bytes, as dtc's search finds the first place it occurs). -S, -p and -a add zero bytes
 * at the end.
 */
import { writeU32BE, writeU64BE } from '../../../bytes/endian.js';
import type { DeviceTree, DtNode } from '../tree.js';

export interface FlattenOptions {
  /** -R: empty reservation slots after the entries. */
  reserveSlots?: number;
  /** -S: make the blob at least this long. */
  minSize?: number;
  /** -p: add this many bytes (replaces what -S asked). */
  padSize?: number;
  /** -a: round the total size up to this power of two (after -S/-p). */
  alignSize?: number;
  /** Called with dtc's warning when -S is smaller than the blob. */
  warn?: (line: string) => void;
}

const HEADER_SIZE = 40;

class Out {
  b = new Uint8Array(4096);
  n = 0;
  room(k: number): void {
    if (this.n + k <= this.b.length) return;
    let size = this.b.length * 2;
    while (size < this.n + k) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.b.subarray(0, this.n));
    this.b = nb;
  }
  u32(v: number): void {
    this.room(4);
    writeU32BE(this.b, this.n, v);
    this.n += 4;
  }
  bytes(v: Uint8Array): void {
    this.room(v.length + 3);
    this.b.set(v, this.n);
    this.n += v.length;
  }
  /** A name plus NUL; names are byte strings kept as Latin-1 text. */
  name(s: string): void {
    this.room(s.length + 4);
    for (let i = 0; i < s.length; i++) this.b[this.n++] = s.charCodeAt(i) & 0xff;
    this.b[this.n++] = 0;
  }
  align4(): void {
    this.room(3);
    while (this.n & 3) this.b[this.n++] = 0;
  }
}

/** dtc's string table: offsets by name, with the suffix sharing of its linear search. */
class Strings {
  readonly out = new Out();
  private readonly offsets = new Map<string, number>();
  private readonly entries: { name: string; offset: number }[] = [];

  offset(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    let off = -1;
    for (const e of this.entries) {
      if (e.name.length >= name.length && e.name.endsWith(name)) {
        off = e.offset + e.name.length - name.length;
        break;
      }
    }
    if (off < 0) {
      off = this.out.n;
      this.entries.push({ name, offset: off });
      this.out.name(name);
    }
    this.offsets.set(name, off);
    return off;
  }
}

function flattenNode(n: DtNode, s: Out, strings: Strings): void {
  s.u32(1);
  s.name(n.name);
  s.align4();
  for (const p of n.properties) {
    const off = strings.offset(p.name);
    s.u32(3);
    s.u32(p.value.length);
    s.u32(off);
    s.bytes(p.value);
    s.align4();
  }
  for (const c of n.children) flattenNode(c, s, strings);
  s.u32(2);
}

/** dt_to_blob for version 17. */
export function flattenTree(tree: DeviceTree, opts: FlattenOptions = {}): Uint8Array {
  const struct = new Out();
  const strings = new Strings();
  if (!tree.rootDeleted) flattenNode(tree.root, struct, strings);
  struct.u32(9);
  const slots = tree.reservations.length + (opts.reserveSlots ?? 0);
  const rsvSize = 16 * (slots + 1);
  const offRsv = HEADER_SIZE; // 40 is already a multiple of 8
  const offStruct = offRsv + rsvSize;
  const offStrings = offStruct + struct.n;
  const used = offStrings + strings.out.n;
  let pad = 0;
  if ((opts.minSize ?? 0) > 0) {
    pad = opts.minSize! - used;
    if (pad < 0) {
      pad = 0;
      opts.warn?.(`Warning: blob size ${used} >= minimum size ${opts.minSize}`);
    }
  }
  if ((opts.padSize ?? 0) > 0) pad = opts.padSize!;
  if ((opts.alignSize ?? 0) > 0) {
    const a = opts.alignSize!;
    pad = Math.ceil((used + pad) / a) * a - used;
  }
  const total = used + Math.max(pad, 0);
  const blob = new Uint8Array(total);
  const h = [0xd00dfeed, total, offStruct, offStrings, offRsv, 17, 16, tree.bootCpuidPhys >>> 0, strings.out.n, struct.n];
  h.forEach((v, i) => writeU32BE(blob, i * 4, v));
  tree.reservations.forEach((r, i) => {
    writeU64BE(blob, offRsv + 16 * i, BigInt.asUintN(64, r.address));
    writeU64BE(blob, offRsv + 16 * i + 8, BigInt.asUintN(64, r.size));
  });
  blob.set(struct.b.subarray(0, struct.n), offStruct);
  blob.set(strings.out.b.subarray(0, strings.out.n), offStrings);
  return blob;
}
