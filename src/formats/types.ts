/**
 * The registry's types, apart from the registry itself: format modules import these, and the registry imports the
 * modules, so keeping them here leaves no import circle.
 */
import type { ByteSource } from '../bytes/source.js';
import type { Finding } from '../findings.js';

export interface DecodeOptions {
  /** Check what needs the whole range (a uImage's data CRC); header-only decoding reads a few KiB. */
  full?: boolean;
  /** How far past its header a decoder may read to find a payload. */
  scanWindow?: number;
}

/** A range worth inspecting in turn, with what the container knows about it. */
export interface Part {
  name: string;
  offset: number;
  length: number;
  /** The format when the container already knows it (a zImage's validated payload). */
  format?: string;
  /** The decompressed size the container records (an ARM zImage size tag, a bzImage size trailer). */
  uncompressedSize?: number;
  /** Where uncompressedSize comes from, for people. */
  sizeSource?: string;
}

export interface Decoded<T> {
  format: string;
  value: T;
  findings: Finding[];
  /** Payload ranges worth inspecting in turn. */
  parts?: Part[];
  /** One line for people: 'ARM zImage, little-endian, xz payload'. */
  summary?: string;
  /** The CPU architecture the code is for, named as uImage's -A names it (arm, arm64, x86_64, ...). */
  arch?: string;
}

export interface FormatModule<T = unknown> {
  id: string;
  /** The format's name for people. */
  name: string;
  /**
   * Other ids decode() may return as Decoded.format, when only decoding can tell (an FDT that is a FIT, a
   * compressed stream's codec): lookups by id find this module for them too.
   */
  produces?: readonly string[];
  /** Magic bytes and where they sit from the format's start: what --scan searches for. */
  signatures?: readonly { bytes: readonly number[]; at: number }[];
  /** Fields (by name, at any depth of the value) people read in hex: --json adds `<name>Hex` beside them. */
  hexFields?: readonly string[];
  /** From the first PROBE_BYTES bytes only: does this look like the format? */
  probe(head: Uint8Array, size: number): boolean;
  decode(src: ByteSource, opts?: DecodeOptions): Promise<Decoded<T>>;
}

/** How many leading bytes probe() gets (enough for an x86 setup header at 0x1F1..0x26C). */
export const PROBE_BYTES = 1024;
