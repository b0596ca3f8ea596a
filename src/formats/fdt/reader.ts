/**
 * The FDT reader: the header, the reservation map and a walk of the structure block's tokens that records where
 * every node, property and value lies without reading the values (they are read on demand). It reads through a
 * ByteSource in windows, skipping values, so a FIT with a 256 MiB inline image is walked in a few reads; or over
 * bytes already in memory. The walk applies libfdt's fdt_check_full rules; every offset and size is bounded by
 * totalsize, the structure block and the file, and each failure is an FdtError naming the offset.
 *
 * Offsets in the index are file offsets (from the blob's first byte), unlike libfdt's, which count from the
 * structure block.
 */
import { readU32BE, readU64BE } from '../../bytes/endian.js';
import type { ByteSource } from '../../bytes/source.js';
import { fdtError, type FdtError } from './error.js';
import {
  FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_HEADER_SIZE, FDT_NOP, FDT_PROP, FDT_RESERVE_ENTRY_SIZE, alignTag, checkFdtHeader,
  decodeFdtHeader, fdtStructSize, nameFromBytes, type FdtHeader, type FdtReservation,
} from './header.js';

export interface FdtPropertyEntry {
  name: string;
  /** File offset of the PROP token. */
  offset: number;
  /** The name's offset in the strings block (the token's nameoff). */
  nameOffset: number;
  /** File offset of the value's first byte. */
  valueOffset: number;
  /** The value's length in bytes (the token's len). */
  length: number;
}

export interface FdtNodeEntry {
  /** The full name, unit address included; the root's is ''. */
  name: string;
  /** File offset of the BEGIN_NODE token. */
  offset: number;
  /** Bytes from the BEGIN_NODE token to the end of its END_NODE token (0 while the node is still open). */
  length: number;
  /** 0 for the root. */
  depth: number;
  properties: FdtPropertyEntry[];
  children: FdtNodeEntry[];
}

export interface FdtIndex {
  header: FdtHeader;
  reservations: FdtReservation[];
  /** The root node; a placeholder named '' with nothing in it when the walk failed before reaching one. */
  root: FdtNodeEntry;
  /** The walk reached the END token with no error. */
  complete: boolean;
  /** Why the walk stopped early (only with `tolerant`; the index holds what was read before). */
  error?: FdtError;
  /** The walk stopped at `maxBytes` (only with that option); not an error. */
  limited: boolean;
  /** Bytes read from the source (for the bounded-read promise of header-only inspection). */
  bytesRead: number;
}

export interface ReadFdtOptions {
  /** Return the index read so far with `error` set instead of throwing. */
  tolerant?: boolean;
  /** Stop (with `limited`) once this many bytes have been read; values skipped by the walk are not read. */
  maxBytes?: number;
}

/** The deepest nesting the index accepts: far deeper than real trees, shallow enough for recursive consumers. */
export const FDT_MAX_DEPTH = 1000;
/** How much the reader asks a ByteSource for at a time. */
const WINDOW = 64 << 10;

interface Window {
  base: number;
  bytes: Uint8Array;
}

interface Need {
  window: Window;
  offset: number;
  length: number;
}

type Walk<T> = Generator<Need, T, void>;

/** What a walk reports, in file order. Depth counts from 1 for the root, as fdt_check_full counts it. */
export interface FdtVisitor {
  beginNode(name: string, offset: number, depth: number): void;
  endNode(offset: number, next: number, depth: number): void;
  property(p: FdtPropertyEntry, depth: number): void;
}

/** Make [offset, offset+length) available in `w`; false when it lies past `limit` or the data ends first. */
function* ensure(w: Window, offset: number, length: number, limit: number): Walk<boolean> {
  if (offset < 0 || offset + length > limit) return false;
  if (offset >= w.base && offset + length <= w.base + w.bytes.length) return true;
  yield { window: w, offset, length };
  return offset >= w.base && offset + length <= w.base + w.bytes.length;
}

/** Offset of the first NUL at or after `from` and before `limit`, or -1. */
function* findNul(w: Window, from: number, limit: number): Walk<number> {
  for (let at = from; at < limit;) {
    if (!(yield* ensure(w, at, 1, limit))) return -1;
    const i = w.bytes.indexOf(0, at - w.base);
    if (i >= 0) return w.base + i < limit ? w.base + i : -1;
    at = w.base + w.bytes.length;
  }
  return -1;
}

function* bytesAt(w: Window, offset: number, length: number, limit: number): Walk<Uint8Array | undefined> {
  if (!(yield* ensure(w, offset, length, limit))) return undefined;
  return w.bytes.subarray(offset - w.base, offset - w.base + length);
}

/**
 * The reservation map as libfdt counts it (fdt_num_mem_rsv): 16-byte entries from off_mem_rsvmap, ending at the
 * first entry whose size is 0, all inside totalsize.
 */
function* walkReservations(h: FdtHeader, w: Window, dataEnd: number, into: FdtReservation[]): Walk<void> {
  for (let at = h.offMemRsvmap; ; at += FDT_RESERVE_ENTRY_SIZE) {
    if (at + FDT_RESERVE_ENTRY_SIZE > h.totalSize) throw fdtError('TRUNCATED', 'the reservation map has no terminating entry inside totalsize', at);
    const e = yield* bytesAt(w, at, FDT_RESERVE_ENTRY_SIZE, dataEnd);
    if (!e) throw fdtError('TRUNCATED', 'the file ends inside the reservation map', at);
    const size = readU64BE(e, 8);
    if (size === 0n) return;
    into.push({ address: readU64BE(e, 0), size });
  }
}

/** The structure block's tokens under fdt_check_full's rules, reported to `visit`. */
function* walkStructure(h: FdtHeader, fileSize: number, sw: Window, strw: Window, visit: FdtVisitor): Walk<void> {
  const start = h.offDtStruct;
  const structLimit = Math.min(start + fdtStructSize(h), h.totalSize);
  const limit = Math.min(structLimit, fileSize);
  // As libfdt: a token word past the block is TRUNCATED, a name or value running past it BADSTRUCTURE; a file
  // shorter than the block is TRUNCATED wherever it ends.
  const cut = (at: number, what: string) => fileSize < structLimit
    ? fdtError('TRUNCATED', `the file ends (at ${fileSize}) inside ${what}`, at, { expected: structLimit, actual: fileSize })
    : fdtError(what === 'a token' ? 'TRUNCATED' : 'BADSTRUCTURE', `${what} runs past the structure block (it ends at ${structLimit})`, at);
  const names = new Map<number, string>();
  let depth = 0;
  let expectEnd = false;
  for (let at = start; ;) {
    const head = yield* bytesAt(sw, at, 4, limit);
    if (!head) throw cut(at, 'a token');
    const tag = readU32BE(head, 0);
    let next = at + 4;
    let name = '';
    let prop: FdtPropertyEntry | undefined;
    if (tag === FDT_BEGIN_NODE) {
      const nul = yield* findNul(sw, at + 4, limit);
      if (nul < 0) throw cut(at, 'a node name');
      const bytes = (yield* bytesAt(sw, at + 4, nul - at - 4, limit))!;
      name = nameFromBytes(bytes);
      next = alignTag(nul + 1);
    } else if (tag === FDT_PROP) {
      const ph = yield* bytesAt(sw, at, 12, limit);
      if (!ph) throw cut(at, 'a property header');
      const length = readU32BE(ph, 4);
      const nameOffset = readU32BE(ph, 8);
      if (at + 12 + length > limit) throw cut(at, `a ${length}-byte property value`);
      prop = { name: '', offset: at, nameOffset, valueOffset: at + 12, length };
      next = alignTag(at + 12 + length);
    } else if (tag !== FDT_END_NODE && tag !== FDT_NOP && tag !== FDT_END) {
      throw fdtError('BADSTRUCTURE', `unknown token 0x${tag.toString(16)}`, at, { field: 'token', actual: tag });
    }
    if (expectEnd && tag !== FDT_END) throw fdtError('BADSTRUCTURE', 'a token after the root node closed (a second root?)', at);
    if (tag === FDT_END) {
      if (depth !== 0) throw fdtError('BADSTRUCTURE', `END with ${depth} node(s) still open`, at);
      return;
    } else if (tag === FDT_BEGIN_NODE) {
      depth++;
      if (depth === 1 && name !== '') throw fdtError('BADSTRUCTURE', `the root node is named ${JSON.stringify(name)}; it must have an empty name`, at);
      visit.beginNode(name, at, depth);
    } else if (tag === FDT_END_NODE) {
      if (depth === 0) throw fdtError('BADSTRUCTURE', 'an END_NODE outside any node', at);
      visit.endNode(at, next, depth);
      if (--depth === 0) expectEnd = true;
    } else if (prop) {
      let known = names.get(prop.nameOffset);
      if (known === undefined) {
        known = yield* stringAt(h, fileSize, strw, prop.nameOffset, at + 8);
        names.set(prop.nameOffset, known);
      }
      prop.name = known;
      visit.property(prop, depth);
    }
    at = next;
  }
}

/** A name from the strings block, as libfdt's fdt_get_string finds it (NUL inside the block and totalsize). */
function* stringAt(h: FdtHeader, fileSize: number, w: Window, nameOffset: number, tokenField: number): Walk<string> {
  const abs = h.offDtStrings + nameOffset;
  const blockEnd = Math.min(h.totalSize, h.version >= 17 ? h.offDtStrings + h.sizeDtStrings : h.totalSize);
  if (abs >= blockEnd) {
    throw fdtError('BADOFFSET', `a property name offset ${nameOffset} lies outside the ${h.sizeDtStrings}-byte strings block`, tokenField,
      { field: 'nameoff', expected: `< ${h.sizeDtStrings}`, actual: nameOffset });
  }
  const nul = yield* findNul(w, abs, Math.min(blockEnd, fileSize));
  if (nul < 0) {
    throw fdtError('TRUNCATED', blockEnd > fileSize ? `the file ends inside the strings block (name at ${nameOffset})` : `the property name at strings offset ${nameOffset} has no NUL inside the strings block`, tokenField);
  }
  return nameFromBytes((yield* bytesAt(w, abs, nul - abs, nul))!);
}

/** Builds the index from a walk; refuses what the index cannot hold (a property outside any node, no root). */
class IndexBuilder implements FdtVisitor {
  root: FdtNodeEntry | undefined;
  private readonly stack: FdtNodeEntry[] = [];

  beginNode(name: string, offset: number, depth: number): void {
    if (depth > FDT_MAX_DEPTH + 1) throw fdtError('BADSTRUCTURE', `nodes nest deeper than ${FDT_MAX_DEPTH}`, offset);
    const node: FdtNodeEntry = { name, offset, length: 0, depth: depth - 1, properties: [], children: [] };
    if (depth === 1) this.root = node;
    else this.stack.at(-1)!.children.push(node);
    this.stack.push(node);
  }

  endNode(_offset: number, next: number): void {
    const node = this.stack.pop()!;
    node.length = next - node.offset;
  }

  property(p: FdtPropertyEntry, depth: number): void {
    if (depth === 0) throw fdtError('BADSTRUCTURE', 'a property outside any node', p.offset);
    this.stack.at(-1)!.properties.push(p);
  }
}

function* walkAll(h: FdtHeader, fileSize: number, sw: Window, strw: Window, reservations: FdtReservation[], visit: FdtVisitor): Walk<void> {
  const bad = checkFdtHeader(h);
  if (bad) throw bad;
  yield* walkReservations(h, sw, Math.min(h.totalSize, fileSize), reservations);
  yield* walkStructure(h, fileSize, sw, strw, visit);
}

function headerError(size: number): FdtError {
  return fdtError('TRUNCATED', `${size} bytes: shorter than the 40-byte FDT header`, 0, { field: 'header', expected: FDT_HEADER_SIZE, actual: size });
}

export interface FdtWalk {
  header: FdtHeader;
  reservations: FdtReservation[];
  /** Bytes read from the source. */
  bytesRead: number;
  /** The walk stopped at `maxBytes` before the END token. */
  limited: boolean;
}

/**
 * Check the header and walk a blob in memory under fdt_check_full's rules, reporting each token to `visit`.
 * Throws the first problem as an FdtError. (The full check, with the file-size rule, is checkFdtFull in check.ts.)
 */
export function walkFdt(blob: Uint8Array, visit: FdtVisitor, into: FdtWalk = newWalk(blob)): FdtWalk {
  const whole = (): Window => ({ base: 0, bytes: blob });
  const walk = walkAll(into.header, blob.length, whole(), whole(), into.reservations, visit);
  into.bytesRead = blob.length;
  while (!walk.next().done);
  return into;
}

function newWalk(blob: Uint8Array): FdtWalk {
  if (blob.length < FDT_HEADER_SIZE) throw headerError(blob.length);
  // (a short read of a source means the source is short: blob.length is its size)
  return { header: decodeFdtHeader(blob), reservations: [], bytesRead: 0, limited: false };
}

/** The same walk through a ByteSource: tokens are read in windows, values are skipped without being read. */
export async function walkFdtSource(src: ByteSource, visit: FdtVisitor, opts: { maxBytes?: number } = {}, into?: FdtWalk): Promise<FdtWalk> {
  const head = await src.read(0, FDT_HEADER_SIZE);
  if (head.length < FDT_HEADER_SIZE) throw headerError(src.size);
  const w = into ?? newWalk(head);
  w.bytesRead = head.length;
  const readEnd = Math.min(w.header.totalSize, src.size);
  const walk = walkAll(w.header, src.size, { base: 0, bytes: head }, { base: 0, bytes: new Uint8Array(0) }, w.reservations, visit);
  for (let step = walk.next(); !step.done; step = walk.next()) {
    const { window, offset, length } = step.value;
    if (opts.maxBytes !== undefined && w.bytesRead >= opts.maxBytes) {
      w.limited = true;
      return w;
    }
    window.bytes = offset < readEnd ? await src.read(offset, Math.min(Math.max(length, WINDOW), readEnd - offset)) : new Uint8Array(0);
    window.base = offset;
    w.bytesRead += window.bytes.length;
  }
  return w;
}

function toIndex(w: FdtWalk, builder: IndexBuilder, error: unknown, opts: ReadFdtOptions): FdtIndex {
  if (error === undefined && !w.limited && !builder.root) error = fdtError('BADSTRUCTURE', 'the structure block has no root node', w.header.offDtStruct);
  const index: FdtIndex = {
    header: w.header, reservations: w.reservations,
    root: builder.root ?? { name: '', offset: w.header.offDtStruct, length: 0, depth: 0, properties: [], children: [] },
    complete: error === undefined && !w.limited, limited: w.limited, bytesRead: w.bytesRead,
  };
  if (error === undefined) return index;
  if (!opts.tolerant || !(error instanceof Error && 'fdtCode' in error)) throw error;
  index.error = error as FdtError;
  return index;
}

/** Index a blob already in memory. */
export function parseFdt(blob: Uint8Array, opts: ReadFdtOptions = {}): FdtIndex {
  const w = newWalk(blob);
  const builder = new IndexBuilder();
  let error: unknown;
  try {
    walkFdt(blob, builder, w);
  } catch (e) {
    error = e;
  }
  return toIndex(w, builder, error, opts);
}

/** Index a blob through a ByteSource, never reading a value. */
export async function readFdt(src: ByteSource, opts: ReadFdtOptions = {}): Promise<FdtIndex> {
  const w = newWalk(await src.read(0, FDT_HEADER_SIZE));
  const builder = new IndexBuilder();
  let error: unknown;
  try {
    await walkFdtSource(src, builder, opts, w);
  } catch (e) {
    error = e;
  }
  return toIndex(w, builder, error, opts);
}

/** A property's value from a blob in memory (a view, not a copy). */
export function fdtValue(blob: Uint8Array, p: FdtPropertyEntry): Uint8Array {
  return blob.subarray(p.valueOffset, p.valueOffset + p.length);
}

/** A property's value read from the source on demand. */
export function readFdtValue(src: ByteSource, p: FdtPropertyEntry): Promise<Uint8Array> {
  return src.read(p.valueOffset, p.length);
}

/**
 * Does a node name match a path component as libfdt matches it: the same name, or, when the component has no '@',
 * the name with a unit address (`memory` finds `memory@80000000`)?
 */
export function fdtNameMatches(name: string, component: string): boolean {
  return name === component || (!component.includes('@') && name.startsWith(component) && name[component.length] === '@');
}

/** The first child matching each component of a path ('/chosen', '/cpus/cpu@0'), as fdt_path_offset walks it. */
export function findFdtNode(root: FdtNodeEntry, path: string): FdtNodeEntry | undefined {
  let node: FdtNodeEntry | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    node = node.children.find((c) => fdtNameMatches(c.name, part));
    if (!node) return undefined;
  }
  return node;
}

export function findFdtProperty(node: FdtNodeEntry | undefined, name: string): FdtPropertyEntry | undefined {
  return node?.properties.find((p) => p.name === name);
}

/** Every node, depth first in file order. */
export function* fdtNodes(root: FdtNodeEntry): Generator<FdtNodeEntry> {
  yield root;
  for (const c of root.children) yield* fdtNodes(c);
}

/** A property value holding NUL-terminated strings, as a list (undefined when empty). */
export function fdtStrings(value: Uint8Array | undefined): string[] | undefined {
  if (!value || value.length === 0) return undefined;
  const text = new TextDecoder().decode(value[value.length - 1] === 0 ? value.subarray(0, -1) : value);
  return text.split('\0');
}

export function fdtString(value: Uint8Array | undefined): string | undefined {
  return fdtStrings(value)?.join(' ');
}
