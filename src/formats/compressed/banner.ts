/** What a decompressed kernel says about itself: its version banner and its embedded configuration. */
import { CODECS } from './codecs.js';
import { decompress } from './decompress.js';
import type { DecompressLimits } from './types.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const BANNER = ascii('Linux version ');
/** kernel/configs.c's markers around the gzip'd .config (CONFIG_IKCONFIG). */
export const IKCFG_START = ascii('IKCFG_ST');
const IKCFG_END = ascii('IKCFG_ED');
const MAX_BANNER = 1024;
/** A final banner has a build number; 6.1+ kernels also hold a placeholder without one. */
export const FINAL_BANNER = /\) #\d+/;

/** Offsets of `needle` in `bytes`, in order. */
function* occurrences(bytes: Uint8Array, needle: Uint8Array, from = 0): Generator<number> {
  for (let at = bytes.indexOf(needle[0]!, from); at >= 0 && at + needle.length <= bytes.length; at = bytes.indexOf(needle[0]!, at + 1)) {
    let i = 1;
    while (i < needle.length && bytes[at + i] === needle[i]) i++;
    if (i === needle.length) yield at;
  }
}

/** The first offset of `needle` in `bytes`, or -1. */
export const indexOfBytes = (bytes: Uint8Array, needle: Uint8Array): number => occurrences(bytes, needle).next().value ?? -1;

/** The printable line at `at` (up to a newline or NUL), or undefined if it holds anything else. */
function lineAt(bytes: Uint8Array, at: number): string | undefined {
  let text = '';
  for (let i = at; i < bytes.length && i < at + MAX_BANNER; i++) {
    const c = bytes[i]!;
    if (c === 0x0a || c === 0) return text;
    if (c < 0x20 || c > 0x7e) return undefined;
    text += String.fromCharCode(c);
  }
  return undefined;
}

/**
 * The kernel's version banner, "Linux version <release> (<builder>) (<compiler>) #<n> ...". Since 6.1 a kernel holds
 * two: a placeholder built before the final link (its version reads "# SMP ...", with no build number) and the real
 * one; this returns the first with "#<digits>", else the last one found.
 */
export function findLinuxBanner(bytes: Uint8Array): string | undefined {
  let last: string | undefined;
  for (const at of occurrences(bytes, BANNER)) {
    const digit = bytes[at + BANNER.length]!;
    if (digit < 0x30 || digit > 0x39) continue;
    const line = lineAt(bytes, at);
    if (line === undefined) continue;
    if (FINAL_BANNER.test(line)) return line;
    last = line;
  }
  return last;
}

/**
 * The kernel configuration embedded by CONFIG_IKCONFIG: a gzip stream between the markers "IKCFG_ST" and "IKCFG_ED"
 * (kernel/configs.c). Undefined when there is none; a damaged one throws like decompress().
 */
export async function extractIkconfig(bytes: Uint8Array, limits: DecompressLimits): Promise<string | undefined> {
  for (const at of occurrences(bytes, IKCFG_START)) {
    const gzipAt = at + IKCFG_START.length;
    const endAt = occurrences(bytes, IKCFG_END, gzipAt).next().value;
    if (endAt === undefined) return undefined;
    if (!CODECS.gzip.probe(bytes, gzipAt, endAt)) continue;
    const { data } = await decompress('gzip', bytes.subarray(gzipAt, endAt), limits);
    return new TextDecoder().decode(data);
  }
  return undefined;
}
