/**
 * The whole-tree FDT decoder the FIT reader (fit/fit.ts, fit/listing.ts) still uses: bounded and tolerant, a broken
 * or cut blob gives the tree read so far and the reason it stopped. To be replaced by fdt/reader.ts, which walks a
 * ByteSource without loading values; the registry's FDT module is fdt/format.ts.
 */
import { readCString, readU32BE, readU64BE } from '../../bytes/endian.js';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_HEADER_SIZE = 40;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
/** Deeper than any real tree; stops a crafted blob from recursing without end. */
const MAX_DEPTH = 64;
/** What header-only inspection reads of the structure and strings blocks (real DTBs are well below this). */
export const FDT_HEADER_ONLY_LIMIT = 4 << 20;

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  sizeDtStruct: number;
}

export interface FdtProperty {
  name: string;
  value: Uint8Array;
}

export interface FdtNode {
  name: string;
  properties: FdtProperty[];
  children: FdtNode[];
}

export interface FdtReservation {
  address: bigint;
  size: bigint;
}

export interface FdtTree {
  reservations: FdtReservation[];
  root: FdtNode;
  bootCpuidPhys?: number;
}

export interface ParsedFdt extends FdtTree {
  header: FdtHeader;
  /** Why reading stopped early (the tree holds what was read before), or undefined for a sound blob. */
  problem?: { message: string; offset: number };
}

export function decodeFdtHeader(b: Uint8Array): FdtHeader {
  const w = (i: number) => readU32BE(b, i * 4);
  return {
    magic: w(0), totalSize: w(1), offDtStruct: w(2), offDtStrings: w(3), offMemRsvmap: w(4),
    version: w(5), lastCompVersion: w(6), bootCpuidPhys: w(7), sizeDtStrings: w(8), sizeDtStruct: w(9),
  };
}

export function isFdt(head: Uint8Array): boolean {
  return head.length >= FDT_HEADER_SIZE && readU32BE(head, 0) === FDT_MAGIC;
}

/** What is wrong with a header on its own (offsets outside totalsize, unsupported version), or undefined. */
export function fdtHeaderProblem(h: FdtHeader): { message: string; offset: number } | undefined {
  if (h.totalSize < FDT_HEADER_SIZE) return { message: `totalsize ${h.totalSize} is smaller than the 40-byte header`, offset: 4 };
  if (h.version < 16) return { message: `version ${h.version}: only versions 16 and 17 are read`, offset: 20 };
  // As libfdt: a reader for version 17 can read a blob whose last compatible version is 17 or older.
  if (h.lastCompVersion > 17 || h.lastCompVersion > h.version) {
    return { message: `last compatible version ${h.lastCompVersion} (version ${h.version}) is not readable as version 17`, offset: 24 };
  }
  const inside = (off: number, size: number) => off >= FDT_HEADER_SIZE && off + size <= h.totalSize;
  if (!inside(h.offMemRsvmap, 16)) return { message: `the reservation map offset ${h.offMemRsvmap} lies outside the blob`, offset: 16 };
  if (!inside(h.offDtStruct, structSize(h))) return { message: `the structure block (${structSize(h)} bytes at ${h.offDtStruct}) lies outside totalsize ${h.totalSize}`, offset: 8 };
  if (!inside(h.offDtStrings, h.sizeDtStrings)) return { message: `the strings block (${h.sizeDtStrings} bytes at ${h.offDtStrings}) lies outside totalsize ${h.totalSize}`, offset: 12 };
  return undefined;
}

/** Version 16 has no size_dt_struct: the block may run to the end of the blob. */
function structSize(h: FdtHeader): number {
  return h.version >= 17 ? h.sizeDtStruct : Math.max(0, h.totalSize - h.offDtStruct);
}

class Stop extends Error {
  constructor(readonly problem: { message: string; offset: number }) {
    super(problem.message);
  }
}

/**
 * Parse a blob (at least its header; the rest may be cut short). `blob` holds the first bytes of the FDT: whatever
 * lies beyond it counts as missing.
 */
export function decodeFdt(blob: Uint8Array): ParsedFdt {
  const header = decodeFdtHeader(blob);
  const root: FdtNode = { name: '', properties: [], children: [] };
  const reservations: FdtReservation[] = [];
  const out: ParsedFdt = { header, reservations, root, bootCpuidPhys: header.bootCpuidPhys };
  try {
    if (header.magic !== FDT_MAGIC) throw new Stop({ message: `bad magic ${header.magic.toString(16)}`, offset: 0 });
    const bad = fdtHeaderProblem(header);
    if (bad) throw new Stop(bad);
    readReservations(blob, header, reservations);
    readStructure(blob, header, root);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    out.problem = e.problem;
  }
  return out;
}

function need(blob: Uint8Array, offset: number, length: number, what: string): void {
  if (offset + length > blob.length) throw new Stop({ message: `the blob ends inside the ${what} at ${offset}`, offset });
}

function readReservations(blob: Uint8Array, h: FdtHeader, into: FdtReservation[]): void {
  const limit = Math.min(h.totalSize, h.offDtStruct > h.offMemRsvmap ? h.offDtStruct : h.totalSize);
  for (let at = h.offMemRsvmap; ; at += 16) {
    if (at + 16 > limit) throw new Stop({ message: 'the reservation map has no terminating entry', offset: at });
    need(blob, at, 16, 'reservation map');
    const address = readU64BE(blob, at);
    const size = readU64BE(blob, at + 8);
    if (address === 0n && size === 0n) return;
    into.push({ address, size });
  }
}

function readStructure(blob: Uint8Array, h: FdtHeader, root: FdtNode): void {
  const start = h.offDtStruct;
  const end = start + structSize(h);
  const stringsEnd = h.offDtStrings + h.sizeDtStrings;
  const stack: FdtNode[] = [];
  let rootSeen = false;
  let at = start;
  const word = (what: string) => {
    if (at + 4 > end) throw new Stop({ message: `the structure block ends inside ${what}`, offset: at });
    need(blob, at, 4, 'structure block');
    const v = readU32BE(blob, at);
    at += 4;
    return v;
  };
  const align = () => {
    at = (at + 3) & ~3;
  };
  for (;;) {
    const tokenAt = at;
    const token = word('a token');
    if (token === FDT_BEGIN_NODE) {
      const nameEnd = blob.indexOf(0, at);
      if (nameEnd < 0 || nameEnd >= end) throw new Stop({ message: 'a node name runs past the structure block', offset: at });
      const name = readCString(blob, at, nameEnd - at);
      at = nameEnd + 1;
      align();
      if (stack.length === 0) {
        if (rootSeen) throw new Stop({ message: 'a second root node', offset: tokenAt });
        rootSeen = true;
        root.name = name;
        stack.push(root);
      } else {
        if (stack.length >= MAX_DEPTH) throw new Stop({ message: `nodes nest deeper than ${MAX_DEPTH}`, offset: tokenAt });
        const node: FdtNode = { name, properties: [], children: [] };
        stack.at(-1)!.children.push(node);
        stack.push(node);
      }
    } else if (token === FDT_PROP) {
      if (stack.length === 0) throw new Stop({ message: 'a property outside any node', offset: tokenAt });
      const len = word('a property length');
      const nameoff = word('a property name offset');
      if (at + len > end) throw new Stop({ message: `a ${len}-byte property value runs past the structure block`, offset: tokenAt });
      need(blob, at, len, 'a property value');
      if (nameoff >= h.sizeDtStrings) throw new Stop({ message: `a property name offset ${nameoff} lies outside the strings block`, offset: tokenAt + 8 });
      need(blob, h.offDtStrings + nameoff, 1, 'the strings block');
      const name = readCString(blob, h.offDtStrings + nameoff, stringsEnd - h.offDtStrings - nameoff);
      stack.at(-1)!.properties.push({ name, value: blob.slice(at, at + len) });
      at += len;
      align();
    } else if (token === FDT_END_NODE) {
      if (stack.length === 0) throw new Stop({ message: 'an END_NODE without a node', offset: tokenAt });
      stack.pop();
    } else if (token === FDT_END) {
      if (stack.length !== 0) throw new Stop({ message: `END with ${stack.length} node(s) still open`, offset: tokenAt });
      return;
    } else if (token !== FDT_NOP) {
      throw new Stop({ message: `unknown token 0x${token.toString(16)}`, offset: tokenAt });
    }
  }
}

/** A node by path ('/chosen', '/cpus/cpu@0'); names match with or without their unit address. */
export function fdtNode(root: FdtNode, path: string): FdtNode | undefined {
  let node: FdtNode | undefined = root;
  for (const part of path.split('/').filter(Boolean)) {
    node = node.children.find((c) => c.name === part) ?? node.children.find((c) => c.name.split('@')[0] === part);
    if (!node) return undefined;
  }
  return node;
}

export function fdtProperty(node: FdtNode | undefined, name: string): Uint8Array | undefined {
  return node?.properties.find((p) => p.name === name)?.value;
}

/** A property holding NUL-terminated strings, as a list. */
export function fdtStrings(value: Uint8Array | undefined): string[] | undefined {
  if (!value || value.length === 0) return undefined;
  const text = new TextDecoder().decode(value[value.length - 1] === 0 ? value.subarray(0, -1) : value);
  return text.split('\0');
}

export function fdtString(value: Uint8Array | undefined): string | undefined {
  return fdtStrings(value)?.join(' ');
}

