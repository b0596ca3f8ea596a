/**
 * An FDT held in one buffer and edited with libfdt's read-write semantics, byte for byte (fit.md §1.7):
 * - setProp: an existing property is resized where it is (the structure block moves by the difference of the
 *   4-aligned lengths); a new one is inserted right after the node's BEGIN_NODE and name, so it becomes the node's
 *   first property; its name is found in the strings block (also as the tail of a longer name) or appended.
 * - every insertion or removal moves everything from the edit point to the end of the strings block and clears
 *   nothing: pad bytes after a value keep whatever sat there before, bytes vacated at the end keep their content.
 * - an edit that needs more than the free space (totalsize minus the end of the strings block) throws an FdtError
 *   'NOSPACE' and changes nothing visible; openInto() gives a bigger buffer, pack() drops the free space.
 *
 * Node and property offsets are libfdt's: bytes from the start of the structure block (the root is at 0). They
 * shift when an edit before them moves the block, as in libfdt; look them up again after an edit.
 */
import { readU32BE, readU64BE, writeU32BE, writeU64BE } from '../../bytes/endian.js';
import { FDT_ERRORS, FdtError, type FdtErrorName } from './error.js';
import {
  FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_FIRST_READ_VERSION, FDT_HEADER_SIZE, FDT_LAST_SUPPORTED_VERSION, FDT_MAGIC,
  FDT_NOP, FDT_PROP, FDT_RESERVE_ENTRY_SIZE, FDT_RSVMAP_OFFSET, FDT_TAGSIZE, alignTag, decodeFdtHeader, nameFromBytes,
  nameToBytes, type FdtHeader, type FdtReservation,
} from './header.js';

/** A node's offset as libfdt gives it: from the start of the structure block. */
export type NodeOffset = number;

export interface EditorProperty {
  name: string;
  /** libfdt offset of the PROP token. */
  offset: number;
  /** The value: a view into the editor's buffer, valid until the next edit. */
  value: Uint8Array;
}

const E = FDT_ERRORS;
const NAMES = Object.fromEntries(Object.entries(E).map(([k, v]) => [v, k])) as Record<number, FdtErrorName>;
/** Aliases that point at aliases: libfdt recurses without end; this stops. */
const MAX_ALIAS_DEPTH = 16;

// Header word indexes.
const TOTALSIZE = 1, OFF_STRUCT = 2, OFF_STRINGS = 3, OFF_RSV = 4, VERSION = 5, LAST_COMP = 6, CPUID = 7, SIZE_STRINGS = 8, SIZE_STRUCT = 9;

export class FdtEditor {
  /** The buffer: totalsize bytes in use, possibly more behind them (what a realloc'd buffer keeps). */
  private buf: Uint8Array;

  private constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  /**
   * fdt_open_into(blob, new buffer, size): a copy of the blob in a buffer of `size` bytes (default: its totalsize),
   * free space at the end (zeros). Blocks in another order are repacked as libfdt repacks them.
   */
  static open(blob: Uint8Array, size?: number): FdtEditor {
    if (blob.length < FDT_HEADER_SIZE) throw err('TRUNCATED', `${blob.length} bytes: shorter than the 40-byte FDT header`, 0);
    const from = new FdtEditor(blob);
    const total = from.h(TOTALSIZE);
    if (total > blob.length) throw err('TRUNCATED', `totalsize says ${total} bytes, there are ${blob.length}`, 4);
    const ed = new FdtEditor(new Uint8Array(size ?? total));
    ed.check(openInto(from, ed.buf), 'open the blob', 0);
    return ed;
  }

  /**
   * Edit `buffer` itself, as libfdt edits the buffer it is given: no copy, no repacking; the blob's free space is
   * what its totalsize leaves after the strings block. (openInto and setTotalSize move to a new buffer.)
   */
  static wrap(buffer: Uint8Array): FdtEditor {
    if (buffer.length < FDT_HEADER_SIZE) throw err('TRUNCATED', `${buffer.length} bytes: shorter than the 40-byte FDT header`, 0);
    const ed = new FdtEditor(buffer);
    if (ed.h(TOTALSIZE) > buffer.length) throw err('TRUNCATED', `totalsize says ${ed.h(TOTALSIZE)} bytes, there are ${buffer.length}`, 4);
    return ed;
  }

  /** The blob: totalsize bytes, a view of the editor's buffer (copy it before editing on). */
  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.h(TOTALSIZE));
  }

  get header(): FdtHeader {
    return decodeFdtHeader(this.buf);
  }

  /** Bytes between the end of the strings block and totalsize. */
  get freeSpace(): number {
    return this.h(TOTALSIZE) - this.dataSize();
  }

  /**
   * Grow or shrink the buffer to `size` bytes and open the blob into it in place, as fdtput does (realloc, then
   * fdt_open_into(fdt, fdt, size)): bytes past the old buffer are zero, those before it are kept.
   */
  openInto(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, Math.min(size, this.buf.length)));
    const old = new FdtEditor(this.buf.slice(0, Math.min(this.buf.length, this.h(TOTALSIZE))));
    this.buf = next;
    this.check(openInto(old, this.buf), `open the blob into ${size} bytes`, 0);
  }

  /**
   * Set totalsize without moving anything, growing the buffer to match (new bytes zero): what kexec-tools does
   * before an edit it has made room for.
   */
  setTotalSize(size: number): void {
    if (size > this.buf.length) {
      const next = new Uint8Array(size);
      next.set(this.buf);
      this.buf = next;
    }
    this.set(TOTALSIZE, size);
  }

  /** fdt_pack: reservation map, structure and strings blocks back to back from offset 40, no free space. */
  pack(): void {
    this.rwProbe('pack');
    const rsv = (this.check(this.numMemRsv(), 'count the reservations', this.h(OFF_RSV)) + 1) * FDT_RESERVE_ENTRY_SIZE;
    packBlocks(this, this.buf, rsv, this.h(SIZE_STRUCT), this.h(SIZE_STRINGS));
    this.set(TOTALSIZE, this.dataSize());
  }

  // ---- reading ----

  /** fdt_path_offset: '/a/b' (components match with or without a unit address), or an alias from /aliases. */
  pathOffset(path: string): NodeOffset {
    return this.check(this.pathOffsetRaw(path, 0), `find ${JSON.stringify(path)}`, 0, 'path');
  }

  /** fdt_subnode_offset: the first child of `parent` named `name` (or `name@unit` when `name` has no '@'). */
  subnodeOffset(parent: NodeOffset, name: string): NodeOffset {
    return this.check(this.subnodeRaw(parent, nameToBytes(name)), `find subnode ${JSON.stringify(name)}`, parent, 'name');
  }

  /** The node's name, unit address included ('' for the root). */
  nodeName(node: NodeOffset): string {
    const n = this.check(this.checkNode(node), 'read a node name', node);
    return nameFromBytes(this.buf.subarray(this.abs(node) + 4, this.abs(n) - 1).subarray(0, this.nameLength(node)));
  }

  /** The direct children's offsets, in order. */
  subnodes(node: NodeOffset): NodeOffset[] {
    const out: NodeOffset[] = [];
    const depth = { d: 0 };
    for (let at = this.nextNode(node, depth); at >= 0 && depth.d >= 1; at = this.nextNode(at, depth)) {
      if (depth.d === 1) out.push(at);
    }
    return out;
  }

  /** The node's properties in order, each with its value as a view. */
  properties(node: NodeOffset): EditorProperty[] {
    const out: EditorProperty[] = [];
    let at = this.firstProp(node);
    while (at >= 0) {
      out.push(this.propAt(at));
      at = this.nextProp(at);
    }
    if (at !== -E.NOTFOUND) this.check(at, 'list properties', node);
    return out;
  }

  /** fdt_getprop: the value (a view, valid until the next edit), or undefined when the node has no such property. */
  getProp(node: NodeOffset, name: string): Uint8Array | undefined {
    const at = this.findProp(node, nameToBytes(name));
    if (at === -E.NOTFOUND) return undefined;
    return this.propAt(this.check(at, `read property ${JSON.stringify(name)}`, node)).value;
  }

  /** The reservation map's entries (libfdt counts up to the first entry whose size is 0). */
  reservations(): FdtReservation[] {
    const n = this.check(this.numMemRsv(), 'count the reservations', this.h(OFF_RSV));
    return Array.from({ length: n }, (_, i) => {
      const at = this.h(OFF_RSV) + i * FDT_RESERVE_ENTRY_SIZE;
      return { address: readU64BE(this.buf, at), size: readU64BE(this.buf, at + 8) };
    });
  }

  /** fdt_find_string_: where `name` + NUL first occurs in the strings block, also inside a longer name; or -1. */
  findString(name: string): number {
    return findString(this.buf, this.h(OFF_STRINGS), this.h(SIZE_STRINGS), nameToBytes(name));
  }

  // ---- editing ----

  /** fdt_setprop: replace the value in place, or add the property as the node's first. */
  setProp(node: NodeOffset, name: string, value: Uint8Array): void {
    const data = this.placeholder(node, name, value.length);
    this.buf.set(value, data);
  }

  /** fdt_appendprop: add bytes to the end of a value (or create the property with them). */
  appendProp(node: NodeOffset, name: string, value: Uint8Array): void {
    this.rwProbe('append to a property');
    const n = nameToBytes(name);
    const at = this.findProp(node, n);
    if (at >= 0) {
      const old = readU32BE(this.buf, this.abs(at) + 4);
      this.check(this.spliceStruct(this.abs(at) + 12, alignTag(old), alignTag(old + value.length)), `append to ${JSON.stringify(name)}`, at);
      writeU32BE(this.buf, this.abs(at) + 4, old + value.length);
      this.buf.set(value, this.abs(at) + 12 + old);
    } else {
      this.check(at === -E.NOTFOUND ? 0 : at, `append to ${JSON.stringify(name)}`, node);
      this.buf.set(value, this.addProp(node, n, value.length));
    }
  }

  /** fdt_delprop: remove the property; its name stays in the strings block. */
  delProp(node: NodeOffset, name: string): void {
    this.rwProbe('delete a property');
    const at = this.check(this.findProp(node, nameToBytes(name)), `delete property ${JSON.stringify(name)}`, node, 'name');
    const len = readU32BE(this.buf, this.abs(at) + 4);
    this.check(this.spliceStruct(this.abs(at), 12 + alignTag(len), 0), `delete property ${JSON.stringify(name)}`, at);
  }

  /** fdt_add_subnode: a new empty node after the parent's properties, before its first child; its offset. */
  addSubnode(parent: NodeOffset, name: string): NodeOffset {
    this.rwProbe('add a node');
    const n = nameToBytes(name);
    const found = this.subnodeRaw(parent, n);
    if (found >= 0) throw err('EXISTS', `node ${JSON.stringify(name)} exists already`, this.abs(found), 'name');
    this.check(found === -E.NOTFOUND ? 0 : found, `add node ${JSON.stringify(name)}`, parent);
    let [tag, next] = this.nextTag(parent);
    if (tag !== FDT_BEGIN_NODE) this.check(-E.INTERNAL, 'add a node', parent);
    let at: number;
    do {
      at = next;
      [tag, next] = this.nextTag(at);
    } while (tag === FDT_PROP || tag === FDT_NOP);
    const nodeLen = 4 + alignTag(n.length + 1) + 4;
    this.check(this.spliceStruct(this.abs(at), 0, nodeLen), `add node ${JSON.stringify(name)}`, at);
    const p = this.abs(at);
    writeU32BE(this.buf, p, FDT_BEGIN_NODE);
    this.buf.fill(0, p + 4, p + 4 + alignTag(n.length + 1));
    this.buf.set(n, p + 4);
    writeU32BE(this.buf, p + nodeLen - 4, FDT_END_NODE);
    return at;
  }

  /** fdt_del_node: remove the node and everything under it. */
  delNode(node: NodeOffset): void {
    this.rwProbe('delete a node');
    const depth = { d: 0 };
    let end = node;
    while (end >= 0 && depth.d >= 0) end = this.nextNode(end, depth);
    this.check(end, 'delete a node', node);
    this.check(this.spliceStruct(this.abs(node), end - node, 0), 'delete a node', node);
  }

  /** fdt_add_mem_rsv: append an entry to the reservation map (everything after it moves by 16). */
  addMemRsv(address: bigint, size: bigint): void {
    this.rwProbe('add a reservation');
    const at = this.h(OFF_RSV) + this.check(this.numMemRsv(), 'count the reservations', this.h(OFF_RSV)) * FDT_RESERVE_ENTRY_SIZE;
    this.check(this.spliceMemRsv(at, 0, 1), 'add a reservation', at);
    writeU64BE(this.buf, at, address);
    writeU64BE(this.buf, at + 8, size);
  }

  /** fdt_del_mem_rsv: remove entry `n`. */
  delMemRsv(n: number): void {
    this.rwProbe('delete a reservation');
    const count = this.check(this.numMemRsv(), 'count the reservations', this.h(OFF_RSV));
    if (n >= count) throw err('NOTFOUND', `there is no reservation ${n} (there are ${count})`, this.h(OFF_RSV), 'reservation');
    this.check(this.spliceMemRsv(this.h(OFF_RSV) + n * FDT_RESERVE_ENTRY_SIZE, 1, 0), 'delete a reservation', this.h(OFF_RSV));
  }

  // ---- libfdt's internals, on this buffer (negative numbers are -FDT_ERR_* as in libfdt) ----

  /** @internal the whole buffer, for the block movers below. */
  get raw(): Uint8Array {
    return this.buf;
  }

  /** @internal header word `i`. */
  h(i: number): number {
    return readU32BE(this.buf, 4 * i);
  }

  /** @internal */
  set(i: number, v: number): void {
    writeU32BE(this.buf, 4 * i, v);
  }

  private abs(offset: number): number {
    return offset + this.h(OFF_STRUCT);
  }

  private dataSize(): number {
    return this.h(OFF_STRINGS) + this.h(SIZE_STRINGS);
  }

  /** Throw an FdtError for a negative libfdt result; pass a non-negative one through. */
  private check(ret: number, what: string, offset: number, field = 'node'): number {
    if (ret >= 0) return ret;
    const code = NAMES[-ret] ?? 'INTERNAL';
    throw err(code, `cannot ${what}: FDT_ERR_${code}`, offset + (offset ? this.h(OFF_STRUCT) : 0), field);
  }

  /** fdt_ro_probe_: magic, versions, totalsize. */
  private roProbe(): number {
    if (this.h(0) !== FDT_MAGIC) return -E.BADMAGIC;
    if (this.h(VERSION) < FDT_FIRST_READ_VERSION || this.h(LAST_COMP) > FDT_LAST_SUPPORTED_VERSION) return -E.BADVERSION;
    return this.h(TOTALSIZE) < 0x7fffffff ? 0 : -E.TRUNCATED;
  }

  private rwProbe(what: string): void {
    this.check(this.roProbe(), what, 0, 'header');
    if (this.h(VERSION) < 17) this.check(-E.BADVERSION, what, 0, 'version');
    if (misordered(this, FDT_RESERVE_ENTRY_SIZE, this.h(SIZE_STRUCT))) this.check(-E.BADLAYOUT, what, 0, 'header');
    if (this.h(VERSION) > 17) this.set(VERSION, 17);
  }

  /** fdt_offset_ptr's bounds: [offset, offset+len) inside totalsize and (version 17) the structure block. */
  private ptrOk(offset: number, len: number): boolean {
    if (offset < 0 || this.abs(offset) + len > this.h(TOTALSIZE)) return false;
    return this.h(VERSION) < 17 || offset + len <= this.h(SIZE_STRUCT);
  }

  /** fdt_next_tag: the token at `start` and the offset of the next (negative: an error, the tag then reads END). */
  nextTag(start: number): [number, number] {
    if (!this.ptrOk(start, FDT_TAGSIZE)) return [FDT_END, -E.TRUNCATED];
    const tag = readU32BE(this.buf, this.abs(start));
    let offset = start + FDT_TAGSIZE;
    if (tag === FDT_BEGIN_NODE) {
      for (;;) {
        if (!this.ptrOk(offset, 1)) return [FDT_END, -E.BADSTRUCTURE];
        if (this.buf[this.abs(offset++)] === 0) break;
      }
    } else if (tag === FDT_PROP) {
      if (!this.ptrOk(offset, 4)) return [FDT_END, -E.BADSTRUCTURE];
      offset += 8 + readU32BE(this.buf, this.abs(offset));
    } else if (tag !== FDT_END && tag !== FDT_END_NODE && tag !== FDT_NOP) {
      return [FDT_END, -E.BADSTRUCTURE];
    }
    if (!this.ptrOk(start, offset - start)) return [FDT_END, -E.BADSTRUCTURE];
    return [tag, alignTag(offset)];
  }

  private checkNode(offset: number): number {
    if (offset < 0 || offset % FDT_TAGSIZE) return -E.BADOFFSET;
    const [tag, next] = this.nextTag(offset);
    return tag === FDT_BEGIN_NODE ? next : -E.BADOFFSET;
  }

  private checkProp(offset: number): number {
    if (offset < 0 || offset % FDT_TAGSIZE) return -E.BADOFFSET;
    const [tag, next] = this.nextTag(offset);
    return tag === FDT_PROP ? next : -E.BADOFFSET;
  }

  /** fdt_next_node, with the depth in a box. */
  private nextNode(offset: number, depth: { d: number }): number {
    let next = 0;
    if (offset >= 0) {
      next = this.checkNode(offset);
      if (next < 0) return next;
    }
    let tag: number;
    do {
      offset = next;
      [tag, next] = this.nextTag(offset);
      if (tag === FDT_BEGIN_NODE) depth.d++;
      else if (tag === FDT_END_NODE) {
        if (--depth.d < 0) return next;
      } else if (tag === FDT_END) return next >= 0 ? -E.NOTFOUND : next;
    } while (tag !== FDT_BEGIN_NODE);
    return offset;
  }

  private nameLength(node: number): number {
    const start = this.abs(node) + 4;
    return this.buf.indexOf(0, start) - start;
  }

  /** fdt_nodename_eq_ */
  private nameEq(node: number, s: Uint8Array): boolean {
    if (this.roProbe() < 0 || this.checkNode(node) < 0) return false;
    const p = this.abs(node) + 4;
    if (this.nameLength(node) < s.length) return false;
    for (let i = 0; i < s.length; i++) if (this.buf[p + i] !== s[i]) return false;
    const after = this.buf[p + s.length];
    return after === 0 || (after === 0x40 && !s.includes(0x40));
  }

  /** fdt_subnode_offset_namelen */
  private subnodeRaw(offset: number, name: Uint8Array): number {
    const probe = this.roProbe();
    if (probe < 0) return probe;
    const depth = { d: 0 };
    for (; offset >= 0 && depth.d >= 0; offset = this.nextNode(offset, depth)) {
      if (depth.d === 1 && this.nameEq(offset, name)) return offset;
    }
    return depth.d < 0 ? -E.NOTFOUND : offset;
  }

  /** fdt_path_offset */
  private pathOffsetRaw(path: string, aliasDepth: number): number {
    const probe = this.roProbe();
    if (probe < 0) return probe;
    let p = 0;
    let offset = 0;
    if (path[0] !== '/') {
      const q = path.indexOf('/') < 0 ? path.length : path.indexOf('/');
      const aliases = this.pathOffsetRaw('/aliases', MAX_ALIAS_DEPTH);
      const target = aliases >= 0 && aliasDepth < MAX_ALIAS_DEPTH && q > 0 ? this.getPropRaw(aliases, nameToBytes(path.slice(0, q))) : undefined;
      if (!target) return -E.BADPATH;
      const z = target.indexOf(0);
      offset = this.pathOffsetRaw(nameFromBytes(z < 0 ? target : target.subarray(0, z)), aliasDepth + 1);
      if (offset < 0) return offset;
      p = q;
    }
    while (p < path.length) {
      while (path[p] === '/') {
        if (++p === path.length) return offset;
      }
      const slash = path.indexOf('/', p);
      const q = slash < 0 ? path.length : slash;
      offset = this.subnodeRaw(offset, nameToBytes(path.slice(p, q)));
      if (offset < 0) return offset;
      p = q;
    }
    return offset;
  }

  /** nextprop_ */
  private nextPropFrom(offset: number): number {
    let tag: number;
    do {
      let next: number;
      [tag, next] = this.nextTag(offset);
      if (tag === FDT_END) return next >= 0 ? -E.BADSTRUCTURE : next;
      if (tag === FDT_PROP) return offset;
      offset = next;
    } while (tag === FDT_NOP);
    return -E.NOTFOUND;
  }

  private firstProp(node: number): number {
    const next = this.checkNode(node);
    return next < 0 ? next : this.nextPropFrom(next);
  }

  private nextProp(offset: number): number {
    const next = this.checkProp(offset);
    return next < 0 ? next : this.nextPropFrom(next);
  }

  /** fdt_get_string: the name at `nameoff`, or a negative error. */
  private stringAt(nameoff: number): Uint8Array | number {
    const probe = this.roProbe();
    if (probe < 0) return probe;
    const abs = nameoff + this.h(OFF_STRINGS);
    if (nameoff > 0x7fffffff || abs >= this.h(TOTALSIZE)) return -E.BADOFFSET;
    let len = this.h(TOTALSIZE) - abs;
    if (this.h(VERSION) >= 17) {
      if (nameoff >= this.h(SIZE_STRINGS)) return -E.BADOFFSET;
      len = Math.min(len, this.h(SIZE_STRINGS) - nameoff);
    }
    const z = this.buf.subarray(abs, abs + len).indexOf(0);
    return z < 0 ? -E.TRUNCATED : this.buf.subarray(abs, abs + z);
  }

  /** fdt_get_property_namelen_: the PROP token's offset, or a negative error (NOTFOUND when absent). */
  private findProp(node: number, name: Uint8Array): number {
    let at = this.firstProp(node);
    for (; at >= 0; at = this.nextProp(at)) {
      const s = this.stringAt(readU32BE(this.buf, this.abs(at) + 8));
      if (typeof s !== 'number' && s.length === name.length && s.every((b, i) => b === name[i])) return at;
    }
    return at;
  }

  private getPropRaw(node: number, name: Uint8Array): Uint8Array | undefined {
    const at = this.findProp(node, name);
    return at < 0 ? undefined : this.propAt(at).value;
  }

  private propAt(at: number): EditorProperty {
    const p = this.abs(at);
    const s = this.stringAt(readU32BE(this.buf, p + 8));
    if (typeof s === 'number') this.check(s, 'read a property name', at, 'nameoff');
    return { name: nameFromBytes(s as Uint8Array), offset: at, value: this.buf.subarray(p + 12, p + 12 + readU32BE(this.buf, p + 4)) };
  }

  /** fdt_num_mem_rsv */
  private numMemRsv(): number {
    for (let i = 0; ; i++) {
      const at = this.h(OFF_RSV) + i * FDT_RESERVE_ENTRY_SIZE;
      if (at > this.h(TOTALSIZE) - FDT_RESERVE_ENTRY_SIZE) return -E.TRUNCATED;
      if (readU64BE(this.buf, at + 8) === 0n) return i;
    }
  }

  /** fdt_splice_: move [p+oldlen, end of strings) to p+newlen. */
  private splice(p: number, oldlen: number, newlen: number): number {
    const dsize = this.dataSize();
    if (oldlen < 0 || p + oldlen > dsize) return -E.BADOFFSET;
    if (p < 0 || dsize + newlen < oldlen) return -E.BADOFFSET;
    if (dsize - oldlen + newlen > this.h(TOTALSIZE)) return -E.NOSPACE;
    this.buf.copyWithin(p + newlen, p + oldlen, dsize);
    return 0;
  }

  private spliceStruct(p: number, oldlen: number, newlen: number): number {
    const ret = this.splice(p, oldlen, newlen);
    if (ret) return ret;
    this.set(SIZE_STRUCT, this.h(SIZE_STRUCT) + newlen - oldlen);
    this.set(OFF_STRINGS, this.h(OFF_STRINGS) + newlen - oldlen);
    return 0;
  }

  private spliceMemRsv(p: number, oldn: number, newn: number): number {
    const delta = (newn - oldn) * FDT_RESERVE_ENTRY_SIZE;
    const ret = this.splice(p, oldn * FDT_RESERVE_ENTRY_SIZE, newn * FDT_RESERVE_ENTRY_SIZE);
    if (ret) return ret;
    this.set(OFF_STRUCT, this.h(OFF_STRUCT) + delta);
    this.set(OFF_STRINGS, this.h(OFF_STRINGS) + delta);
    return 0;
  }

  /** fdt_find_add_string_: [nameoff, whether it was appended], or a negative error. */
  private findAddString(name: Uint8Array): [number, boolean] {
    const found = findString(this.buf, this.h(OFF_STRINGS), this.h(SIZE_STRINGS), name);
    if (found >= 0) return [found, false];
    const at = this.h(SIZE_STRINGS);
    const ret = this.splice(this.dataSize(), 0, name.length + 1);
    if (ret) return [ret, false];
    this.set(SIZE_STRINGS, at + name.length + 1);
    this.buf.set(name, this.h(OFF_STRINGS) + at);
    this.buf[this.h(OFF_STRINGS) + at + name.length] = 0;
    return [at, true];
  }

  /** fdt_add_property_: a new PROP right after the node's name; the file offset of its value. */
  private addProp(node: number, name: Uint8Array, len: number): number {
    const next = this.check(this.checkNode(node), 'add a property', node);
    const [nameoff, allocated] = this.findAddString(name);
    this.check(nameoff, `add property ${JSON.stringify(nameFromBytes(name))}`, node);
    const ret = this.spliceStruct(this.abs(next), 0, 12 + alignTag(len));
    if (ret) {
      if (allocated) this.set(SIZE_STRINGS, this.h(SIZE_STRINGS) - name.length - 1);
      this.check(ret, `add property ${JSON.stringify(nameFromBytes(name))}`, node);
    }
    const p = this.abs(next);
    writeU32BE(this.buf, p, FDT_PROP);
    writeU32BE(this.buf, p + 4, len);
    writeU32BE(this.buf, p + 8, nameoff);
    return p + 12;
  }

  /** fdt_setprop_placeholder: room for a `len`-byte value; the file offset where it goes. */
  private placeholder(node: number, name: string, len: number): number {
    this.rwProbe('set a property');
    const n = nameToBytes(name);
    const at = this.findProp(node, n);
    if (at === -E.NOTFOUND) return this.addProp(node, n, len);
    this.check(at, `set property ${JSON.stringify(name)}`, node);
    const p = this.abs(at);
    const old = readU32BE(this.buf, p + 4);
    this.check(this.spliceStruct(p + 12, alignTag(old), alignTag(len)), `set property ${JSON.stringify(name)}`, at);
    writeU32BE(this.buf, p + 4, len);
    return p + 12;
  }
}

function err(code: FdtErrorName, message: string, offset: number, field = 'fdt'): FdtError {
  return new FdtError(code, `${message} (at offset ${offset})`, { offset, field },
    code === 'NOSPACE' ? 'open the blob into a bigger buffer' : code === 'NOTFOUND' || code === 'EXISTS' || code === 'BADPATH' ? undefined : 'the blob is damaged: dtc -I dtb -O dts shows where');
}

/** fdt_find_string_: the first offset in the block where `s` + NUL occurs, or -1. */
function findString(buf: Uint8Array, start: number, size: number, s: Uint8Array): number {
  const last = size - s.length - 1;
  outer: for (let p = 0; p <= last; p++) {
    for (let i = 0; i < s.length; i++) if (buf[start + p + i] !== s[i]) continue outer;
    if (buf[start + p + s.length] === 0) return p;
  }
  return -1;
}

/** fdt_blocks_misordered_ */
function misordered(fdt: FdtEditor, rsvSize: number, structSize: number): boolean {
  return fdt.h(OFF_RSV) < FDT_RSVMAP_OFFSET || fdt.h(OFF_STRUCT) < fdt.h(OFF_RSV) + rsvSize
    || fdt.h(OFF_STRINGS) < fdt.h(OFF_STRUCT) + structSize || fdt.h(TOTALSIZE) < fdt.h(OFF_STRINGS) + fdt.h(SIZE_STRINGS);
}

/** fdt_packblocks_: copy the blocks of `old` to offset 40 of `into`, back to back, and set their header words. */
function packBlocks(old: FdtEditor, into: Uint8Array, rsvSize: number, structSize: number, stringsSize: number): void {
  const oldRsv = old.h(OFF_RSV), oldStruct = old.h(OFF_STRUCT), oldStrings = old.h(OFF_STRINGS), oldStringsSize = old.h(SIZE_STRINGS);
  const src = old.raw;
  const structOff = FDT_RSVMAP_OFFSET + rsvSize;
  const stringsOff = structOff + structSize;
  moveBytes(src, oldRsv, into, FDT_RSVMAP_OFFSET, rsvSize);
  writeU32BE(into, 4 * OFF_RSV, FDT_RSVMAP_OFFSET);
  moveBytes(src, oldStruct, into, structOff, structSize);
  writeU32BE(into, 4 * OFF_STRUCT, structOff);
  writeU32BE(into, 4 * SIZE_STRUCT, structSize);
  moveBytes(src, oldStrings, into, stringsOff, stringsSize);
  writeU32BE(into, 4 * OFF_STRINGS, stringsOff);
  writeU32BE(into, 4 * SIZE_STRINGS, oldStringsSize);
}

/** memmove between buffers that may be the same. */
function moveBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (src === dst) dst.copyWithin(to, from, from + len);
  else dst.set(src.subarray(from, from + len), to);
}

/** fdt_open_into(old, buf, buf.length); returns 0 or a negative error. */
function openInto(old: FdtEditor, buf: Uint8Array): number {
  const src = old.raw;
  const bufsize = buf.length;
  if (old.h(0) !== FDT_MAGIC) return -E.BADMAGIC;
  if (old.h(VERSION) < FDT_FIRST_READ_VERSION || old.h(LAST_COMP) > FDT_LAST_SUPPORTED_VERSION) return -E.BADVERSION;
  if (old.h(TOTALSIZE) >= 0x7fffffff) return -E.TRUNCATED;
  let rsvCount = 0;
  for (;; rsvCount++) {
    const at = old.h(OFF_RSV) + rsvCount * FDT_RESERVE_ENTRY_SIZE;
    if (at > old.h(TOTALSIZE) - FDT_RESERVE_ENTRY_SIZE || at + FDT_RESERVE_ENTRY_SIZE > src.length) return -E.TRUNCATED;
    if (readU64BE(src, at + 8) === 0n) break;
  }
  const rsvSize = (rsvCount + 1) * FDT_RESERVE_ENTRY_SIZE;
  let structSize: number;
  if (old.h(VERSION) >= 17) structSize = old.h(SIZE_STRUCT);
  else {
    structSize = 0;
    for (;;) {
      const [tag, next] = old.nextTag(structSize);
      structSize = next;
      if (tag === FDT_END) break;
    }
    if (structSize < 0) return structSize;
  }
  if (!misordered(old, rsvSize, structSize)) {
    if (old.h(TOTALSIZE) > bufsize) return -E.NOSPACE;
    moveBytes(src, 0, buf, 0, old.h(TOTALSIZE));
    writeU32BE(buf, 4 * VERSION, 17);
    writeU32BE(buf, 4 * SIZE_STRUCT, structSize);
    writeU32BE(buf, 4 * TOTALSIZE, bufsize);
    return 0;
  }
  const newSize = FDT_RSVMAP_OFFSET + rsvSize + structSize + old.h(SIZE_STRINGS);
  if (bufsize < newSize) return -E.NOSPACE;
  const cpuid = old.h(CPUID);
  packBlocks(old, buf, rsvSize, structSize, old.h(SIZE_STRINGS));
  writeU32BE(buf, 0, FDT_MAGIC);
  writeU32BE(buf, 4 * TOTALSIZE, bufsize);
  writeU32BE(buf, 4 * VERSION, 17);
  writeU32BE(buf, 4 * LAST_COMP, 16);
  writeU32BE(buf, 4 * CPUID, cpuid);
  return 0;
}
