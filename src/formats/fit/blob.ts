/**
 * libfdt's read-write model over a Rope (fit.md §1.7): setprop (a new property goes first in its node, an existing
 * one is resized in place), delprop, add_subnode, open_into and pack, with libfdt's memmove arithmetic exactly, so
 * pad bytes and vacated bytes keep whatever they held before an edit, and ENOSPC arises where libfdt's arises. Image
 * data stays in source pieces; only the tree is ever read.
 */
import { readU32BE, writeU32BE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';
import { FDT_HEADER_SIZE, FDT_MAGIC } from '../fdt/fdt.js';
import { Rope } from './rope.js';

const BEGIN_NODE = 1, END_NODE = 2, PROP = 3, NOP = 4, END = 9;
const align4 = (n: number) => (n + 3) & ~3;
const MAX_DEPTH = 64;
/** Property values longer than this are kept in their source instead of memory when a blob is read. */
const INLINE_LIMIT = 1 << 16;

/** libfdt's ENOSPC: the caller retries with a bigger buffer. */
export class NoSpace extends Error {
  constructor() {
    super('FDT_ERR_NOSPACE');
  }
}

export interface Header {
  totalSize: number;
  offStruct: number;
  offStrings: number;
  offRsv: number;
  version: number;
  lastComp: number;
  bootCpu: number;
  sizeStrings: number;
  sizeStruct: number;
}

export interface PropRef {
  name: string;
  /** Offset of the PROP token. */
  offset: number;
  valueOffset: number;
  length: number;
}

export interface NodeRef {
  name: string;
  path: string;
  /** Offset of the BEGIN_NODE token; `after` is just past its name (where a new first property goes). */
  offset: number;
  after: number;
  /** Offset of the END_NODE token. */
  end: number;
  props: PropRef[];
  children: NodeRef[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class FdtBlob {
  constructor(public rope: Rope, public h: Header) {}

  /** A blob from its bytes in pieces (the header is decoded from the first 40). */
  static fromRope(rope: Rope): FdtBlob {
    const b = rope.read(0, FDT_HEADER_SIZE);
    const w = (i: number) => readU32BE(b, i * 4);
    if (w(0) !== FDT_MAGIC) throw new UimgError('BAD_MAGIC', `not a device tree: magic ${w(0).toString(16)}`, { offset: 0, expected: 'd00dfeed' });
    return new FdtBlob(rope, {
      totalSize: w(1), offStruct: w(2), offStrings: w(3), offRsv: w(4), version: w(5), lastComp: w(6), bootCpu: w(7),
      sizeStrings: w(8), sizeStruct: w(9),
    });
  }

  /**
   * A blob read from a source, large property values left in the source. Checks what libfdt's fdt_check_header
   * checks (the blocks inside totalsize and the file) before anything is used.
   */
  static async fromSource(src: ByteSource): Promise<FdtBlob> {
    const head = await src.read(0, FDT_HEADER_SIZE);
    if (head.length < FDT_HEADER_SIZE || readU32BE(head, 0) !== FDT_MAGIC) {
      throw new UimgError('BAD_MAGIC', 'not a device tree (no d00dfeed magic)', { offset: 0, expected: 'd00dfeed' });
    }
    const w = (i: number) => readU32BE(head, i * 4);
    const total = w(1), offStruct = w(2), offStrings = w(3), sizeStrings = w(8), sizeStruct = w(9);
    const inside = (o: number, n: number) => o >= FDT_HEADER_SIZE && o + n <= total;
    if (total > src.size || !inside(offStruct, sizeStruct) || !inside(offStrings, sizeStrings) || !inside(w(4), 16) || w(5) < 17) {
      throw new UimgError('MALFORMED', `a device tree header whose blocks do not fit its totalsize ${total} (file ${src.size} bytes)`, { field: 'totalsize', expected: `<= ${src.size}`, actual: total });
    }
    // Everything but the structure block's long values is read into memory.
    const pieces: (Rope | Uint8Array)[] = [await src.read(0, offStruct)];
    let at = offStruct;
    const structEnd = offStruct + sizeStruct;
    let literalFrom = at;
    const flush = async (to: number) => {
      if (to > literalFrom) pieces.push(await src.read(literalFrom, to - literalFrom));
    };
    // Walk tokens with a window so that a long value is skipped, not read.
    let window: Uint8Array = new Uint8Array(0);
    let windowAt = 0;
    const word = async (o: number) => {
      if (o < windowAt || o + 4 > windowAt + window.length) {
        window = await src.read(o, Math.min(INLINE_LIMIT, structEnd - o));
        windowAt = o;
        if (window.length < 4) throw new UimgError('MALFORMED', `the structure block ends inside a token at ${o}`, { offset: o });
      }
      return readU32BE(window, o - windowAt);
    };
    for (;;) {
      if (at + 4 > structEnd) throw new UimgError('MALFORMED', `the structure block has no END token (offset ${at})`, { offset: at });
      const tag = await word(at);
      if (tag === END) break;
      if (tag === BEGIN_NODE) {
        let p = at + 4;
        for (;;) {
          if (p >= structEnd) throw new UimgError('MALFORMED', `a node name at ${at} runs past the structure block`, { offset: at });
          const b = (await src.read(p, 1))[0];
          p++;
          if (b === 0) break;
        }
        at = align4(p);
      } else if (tag === PROP) {
        const len = await word(at + 4);
        const valueAt = at + 12;
        if (valueAt + len > structEnd) throw new UimgError('MALFORMED', `a property value at ${valueAt} (${len} bytes) runs past the structure block`, { offset: at, expected: `<= ${structEnd - valueAt}`, actual: len });
        if (len > INLINE_LIMIT) {
          await flush(valueAt);
          pieces.push(Rope.of({ kind: 'source', source: src, offset: valueAt, length: len }));
          literalFrom = valueAt + len;
        }
        at = align4(valueAt + len);
      } else if (tag === END_NODE || tag === NOP) at += 4;
      else throw new UimgError('MALFORMED', `bad token ${tag} at ${at}`, { offset: at });
    }
    await flush(total);
    return FdtBlob.fromRope(Rope.of(...pieces));
  }

  get dataEnd(): number {
    return this.h.offStrings + this.h.sizeStrings;
  }

  /** The rope with the current header written in, cut to totalsize. */
  image(): Rope {
    const b = new Uint8Array(FDT_HEADER_SIZE);
    const h = this.h;
    [FDT_MAGIC, h.totalSize, h.offStruct, h.offStrings, h.offRsv, h.version, h.lastComp, h.bootCpu, h.sizeStrings, h.sizeStruct]
      .forEach((v, i) => writeU32BE(b, i * 4, v));
    const r = this.rope.overwrite(0, b);
    return r.length >= h.totalSize ? r.slice(0, h.totalSize) : Rope.of(r, Rope.zeros(h.totalSize - r.length));
  }

  clone(): FdtBlob {
    return new FdtBlob(this.rope, { ...this.h });
  }

  // --- reading ---

  private u32(at: number): number {
    return readU32BE(this.rope.read(at, 4), 0);
  }

  stringAt(off: number): string {
    const base = this.h.offStrings;
    let end = off;
    const limit = this.h.sizeStrings;
    const bytes = this.rope.read(base, limit);
    while (end < limit && bytes[end] !== 0) end++;
    return dec.decode(bytes.subarray(off, end));
  }

  strings(): Uint8Array {
    return this.rope.read(this.h.offStrings, this.h.sizeStrings);
  }

  /** The tree's nodes and property positions (parsed afresh: offsets change with every edit). */
  tree(): NodeRef {
    const strings = this.strings();
    const nameOf = (off: number) => {
      let e = off;
      while (e < strings.length && strings[e] !== 0) e++;
      return dec.decode(strings.subarray(off, e));
    };
    const base = this.h.offStruct;
    const end = base + this.h.sizeStruct;
    let at = base;
    const readName = (from: number) => {
      let p = from;
      const chunk: number[] = [];
      for (;;) {
        const b = this.rope.read(p, 1)[0]!;
        p++;
        if (b === 0) break;
        chunk.push(b);
      }
      return { name: dec.decode(new Uint8Array(chunk)), next: align4(p) };
    };
    const parseNode = (path: string, depth: number): NodeRef => {
      if (depth > MAX_DEPTH) throw new UimgError('MALFORMED', `nodes nested deeper than ${MAX_DEPTH}`, { offset: at });
      const offset = at;
      const { name, next } = readName(at + 4);
      const myPath = depth === 0 ? '/' : path === '/' ? `/${name}` : `${path}/${name}`;
      const node: NodeRef = { name, path: myPath, offset, after: next, end: 0, props: [], children: [] };
      at = next;
      for (;;) {
        if (at + 4 > end) throw new UimgError('MALFORMED', `the structure block ends inside node ${myPath}`, { offset: at });
        const tag = this.u32(at);
        if (tag === PROP) {
          const len = this.u32(at + 4);
          const nameoff = this.u32(at + 8);
          node.props.push({ name: nameOf(nameoff), offset: at, valueOffset: at + 12, length: len });
          at = align4(at + 12 + len);
        } else if (tag === NOP) at += 4;
        else if (tag === BEGIN_NODE) node.children.push(parseNode(myPath, depth + 1));
        else if (tag === END_NODE) {
          node.end = at;
          at += 4;
          return node;
        } else throw new UimgError('MALFORMED', `bad token ${tag} at ${at}`, { offset: at });
      }
    };
    if (this.u32(at) !== BEGIN_NODE) throw new UimgError('MALFORMED', 'the structure block does not start with a node', { offset: at });
    return parseNode('', 0);
  }

  /** A property's value as bytes (tree values only; image data stays in its pieces, see valueRope). */
  value(p: PropRef): Uint8Array {
    return this.rope.read(p.valueOffset, p.length);
  }

  valueRope(p: PropRef): Rope {
    return this.rope.slice(p.valueOffset, p.valueOffset + p.length);
  }

  // --- editing, as libfdt ---

  /** fdt_splice_: move [p+oldLen, dataEnd) to p+newLen; bytes not overwritten keep their old values. */
  private splice(p: number, oldLen: number, newLen: number): void {
    const end = this.dataEnd;
    if (end - oldLen + newLen > this.h.totalSize) throw new NoSpace();
    const delta = newLen - oldLen;
    const r = this.rope;
    this.rope = Rope.of(r.slice(0, p + newLen), r.slice(p + oldLen, end), r.slice(end + delta));
  }

  private spliceStruct(p: number, oldLen: number, newLen: number): void {
    this.splice(p, oldLen, newLen);
    this.h.sizeStruct += newLen - oldLen;
    this.h.offStrings += newLen - oldLen;
  }

  /** fdt_find_add_string_: the first place `name\0` occurs (inside longer names too), else appended. */
  private findAddString(name: string): { offset: number; added: boolean } {
    const s = enc.encode(name + '\0');
    const tab = this.strings();
    outer: for (let i = 0; i + s.length <= tab.length; i++) {
      for (let j = 0; j < s.length; j++) if (tab[i + j] !== s[j]) continue outer;
      return { offset: i, added: false };
    }
    const at = this.dataEnd;
    this.splice(at, 0, s.length);
    this.rope = this.rope.overwrite(at, s);
    this.h.sizeStrings += s.length;
    return { offset: tab.length, added: true };
  }

  /** fdt_setprop with the value given as bytes or as a rope (image data). */
  setProp(node: NodeRef, name: string, value: Uint8Array | Rope): void {
    const len = value.length;
    const existing = node.props.find((p) => p.name === name);
    let valueAt: number;
    if (existing) {
      this.spliceStruct(existing.valueOffset, align4(existing.length), align4(len));
      const lenBytes = new Uint8Array(4);
      writeU32BE(lenBytes, 0, len);
      this.rope = this.rope.overwrite(existing.offset + 4, lenBytes);
      valueAt = existing.valueOffset;
    } else {
      const strings = { size: this.h.sizeStrings, rope: this.rope };
      const { offset: nameoff, added } = this.findAddString(name);
      try {
        this.spliceStruct(node.after, 0, 12 + align4(len));
      } catch (e) {
        // fdt_del_last_string_: a name added for a property that did not fit is taken back.
        if (added) {
          this.h.sizeStrings = strings.size;
          this.rope = strings.rope;
        }
        throw e;
      }
      const head = new Uint8Array(12);
      writeU32BE(head, 0, PROP);
      writeU32BE(head, 4, len);
      writeU32BE(head, 8, nameoff);
      this.rope = this.rope.overwrite(node.after, head);
      valueAt = node.after + 12;
    }
    if (len) this.rope = this.rope.overwrite(valueAt, value);
  }

  delProp(node: NodeRef, name: string): boolean {
    const p = node.props.find((q) => q.name === name);
    if (!p) return false;
    this.spliceStruct(p.offset, 12 + align4(p.length), 0);
    return true;
  }

  /** fdt_add_subnode: after the parent's properties (so it becomes the first child), name zero-padded. */
  addSubnode(parent: NodeRef, name: string): void {
    const at = parent.children[0]?.offset ?? parent.end;
    const nameBytes = enc.encode(name);
    const nodeLen = 4 + align4(nameBytes.length + 1) + 4;
    this.spliceStruct(at, 0, nodeLen);
    const b = new Uint8Array(nodeLen);
    writeU32BE(b, 0, BEGIN_NODE);
    b.set(nameBytes, 4);
    writeU32BE(b, nodeLen - 4, END_NODE);
    this.rope = this.rope.overwrite(at, b);
  }

  /** fdt_open_into for a blob whose blocks are in order: the buffer becomes `size` bytes (new bytes zero). */
  openInto(size: number): void {
    if (size < this.dataEnd) throw new NoSpace();
    const r = this.rope.slice(0, Math.min(this.rope.length, this.h.totalSize));
    this.rope = r.length >= size ? r.slice(0, size) : Rope.of(r, Rope.zeros(size - r.length));
    this.h.totalSize = size;
    this.h.version = 17;
  }

  /** fdt_pack: reservations, structure and strings back to back, totalsize their end. */
  pack(): void {
    const h = this.h;
    const rsvSize = this.reservationSize();
    const rsv = this.rope.slice(h.offRsv, h.offRsv + rsvSize);
    const struct = this.rope.slice(h.offStruct, h.offStruct + h.sizeStruct);
    const strings = this.rope.slice(h.offStrings, h.offStrings + h.sizeStrings);
    const offRsv = 40;
    const offStruct = offRsv + rsvSize;
    const offStrings = offStruct + h.sizeStruct;
    if (h.offRsv !== offRsv || h.offStruct !== offStruct || h.offStrings !== offStrings) {
      this.rope = Rope.of(this.rope.slice(0, FDT_HEADER_SIZE), rsv, struct, strings, this.rope.slice(offStrings + h.sizeStrings));
      Object.assign(h, { offRsv, offStruct, offStrings });
    }
    h.totalSize = offStrings + h.sizeStrings;
  }

  private reservationSize(): number {
    let n = 16;
    for (let at = this.h.offRsv; ; at += 16) {
      const e = this.rope.read(at, 16);
      if (e.every((v) => v === 0)) return n;
      n += 16;
    }
  }
}

/** libfdt's fdt_subnode_offset name match: exact, or `name@unit` when the wanted name has no unit address. */
export function subnode(node: NodeRef, name: string): NodeRef | undefined {
  return node.children.find((c) => c.name === name || (!name.includes('@') && c.name.startsWith(name + '@')));
}

/** fdt_path_offset for an absolute path. */
export function nodeAt(root: NodeRef, path: string): NodeRef | undefined {
  let n: NodeRef | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    n = n && subnode(n, part);
  }
  return n;
}

export function u32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32BE(b, 0, value >>> 0);
  return b;
}

export function cstring(s: string): Uint8Array {
  return enc.encode(s + '\0');
}

export function stringList(values: readonly string[]): Uint8Array {
  return enc.encode(values.map((v) => v + '\0').join(''));
}

/** A property's value as a string (up to the first NUL), as fdt_getprop + a C string read. */
export function propString(blob: FdtBlob, node: NodeRef, name: string): string | undefined {
  const p = node.props.find((q) => q.name === name);
  if (!p) return undefined;
  const v = blob.value(p);
  const nul = v.indexOf(0);
  return dec.decode(nul < 0 ? v : v.subarray(0, nul));
}

/** All strings of a string-list property. */
export function propStrings(blob: FdtBlob, node: NodeRef, name: string): string[] | undefined {
  const p = node.props.find((q) => q.name === name);
  if (!p) return undefined;
  const text = dec.decode(blob.value(p));
  const parts = text.split('\0');
  if (text.endsWith('\0')) parts.pop();
  return parts;
}

export const TOKENS = { BEGIN_NODE, END_NODE, PROP, NOP, END } as const;
