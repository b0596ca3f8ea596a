/**
 * U-Boot's binary environment (env_t): a CRC-32 of the data area, a flags byte when the environment is redundant
 * (two copies in flash), then `name=value` entries, each ending in NUL, an extra NUL after the last, and the rest of
 * the area filled with a pad byte (0xFF, erased flash). The CRC is little-endian unless the target is big-endian.
 *
 * The text form is what `mkenvimage` (U-Boot tools) reads, and `envTextToData` follows its rules exactly, as found by
 * running mkenvimage 2023.01 (test/uboot-env-differential.test.ts keeps checking them):
 *   - a newline ends an entry; an empty line is skipped;
 *   - a line whose first byte is '#' is a comment, skipped up to and including its newline;
 *   - a backslash just before a newline becomes a newline inside the value (the entry goes on);
 *   - every other byte is kept as it is (spaces, CR, NUL, '#' after the first column, lines without '=');
 *   - the last entry gets its NUL even without a final newline, then one more NUL ends the environment
 *     (an empty input is a single NUL).
 */
import { crc32 } from '../../bytes/crc32.js';
import { readU32BE, readU32LE, writeU32BE, writeU32LE } from '../../bytes/endian.js';
import { concatBytes } from '../../bytes/source.js';
import { UimgError } from '../../errors.js';

const LF = 0x0a;
const HASH = 0x23;
const BACKSLASH = 0x5c;

/** Redundant environments carry a flags byte after the CRC; this is the value a fresh image has. */
export const ENV_REDUNDANT_FLAGS = 0x01;

/** The largest environment we build: far above any CONFIG_ENV_SIZE, small enough to hold in memory. */
export const ENV_SIZE_LIMIT = 64 << 20;

export interface EnvImageOptions {
  /** The whole environment, header included (CONFIG_ENV_SIZE; mkenvimage -s). */
  size: number;
  /** Two copies in flash: a flags byte follows the CRC (mkenvimage -r). */
  redundant?: boolean;
  /** Store the CRC big-endian (mkenvimage -b). */
  bigEndian?: boolean;
  /** Fill byte after the entries (mkenvimage -p; default 0xFF). */
  padByte?: number;
}

export const envHeaderSize = (redundant = false): number => (redundant ? 5 : 4);

/** mkenvimage's text rules: NUL-terminated entries followed by the terminating NUL. */
export function envTextToData(text: Uint8Array): Uint8Array {
  const out = new Uint8Array(text.length + 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const lineStart = i === 0 || text[i - 1] === LF;
    if (c === LF) {
      if (lineStart) continue;
      if (text[i - 1] === BACKSLASH) out[n - 1] = LF;
      else out[n++] = 0;
    } else if (lineStart && c === HASH) {
      while (i + 1 < text.length && text[i + 1] !== LF) i++;
      i++; // the comment's newline goes with it
    } else {
      out[n++] = c;
    }
  }
  if (n > 0 && out[n - 1] !== 0) out[n++] = 0;
  out[n++] = 0;
  return out.slice(0, n);
}

/** Entries from name/value pairs, in the order given (U-Boot sorts them itself when it imports). */
export function envVarsToData(vars: readonly (readonly [string, string])[]): Uint8Array {
  const encoder = new TextEncoder();
  for (const [name] of vars) {
    if (name === '' || /[=\0]/.test(name)) {
      throw new UimgError('BAD_VALUE', `environment variable name ${JSON.stringify(name)} is empty or holds '=' or NUL`,
        { field: 'name', actual: name });
    }
  }
  // name=value NUL each, and the NUL that ends the list.
  return concatBytes([...vars.map(([name, value]) => encoder.encode(`${name}=${value}\0`)), new Uint8Array(1)]);
}

function checkEnvSize(opts: EnvImageOptions): void {
  const header = envHeaderSize(opts.redundant);
  if (!Number.isSafeInteger(opts.size) || opts.size <= header || opts.size > ENV_SIZE_LIMIT) {
    throw new UimgError('BAD_VALUE', `environment size ${opts.size} is not between ${header + 1} and ${ENV_SIZE_LIMIT}`,
      { field: 'size', expected: `${header + 1}..${ENV_SIZE_LIMIT}`, actual: opts.size },
      `the size is CONFIG_ENV_SIZE, header (${header} bytes) included`);
  }
  const pad = opts.padByte ?? 0xff;
  if (!Number.isInteger(pad) || pad < 0 || pad > 0xff) {
    throw new UimgError('BAD_VALUE', `pad byte ${pad} is not 0..255`, { field: 'padByte', actual: pad });
  }
}

/** The binary environment for entries made by envTextToData or envVarsToData. */
export function encodeEnvImage(data: Uint8Array, opts: EnvImageOptions): Uint8Array {
  checkEnvSize(opts);
  const header = envHeaderSize(opts.redundant);
  const room = opts.size - header;
  if (data.length > room) {
    throw new UimgError('SIZE_LIMIT',
      `The environment file is too large for the target environment storage: the variables take ${data.length} bytes, the environment holds ${room} (${opts.size} less a ${header}-byte header)`,
      { field: 'size', expected: `<= ${room}`, actual: data.length },
      `raise the environment size to at least ${data.length + header} (it must match CONFIG_ENV_SIZE) or drop variables`);
  }
  const image = new Uint8Array(opts.size).fill(opts.padByte ?? 0xff);
  image.set(data, header);
  if (opts.redundant) image[4] = ENV_REDUNDANT_FLAGS;
  const crc = crc32(image.subarray(header));
  (opts.bigEndian ? writeU32BE : writeU32LE)(image, 0, crc);
  return image;
}

export interface DecodedEnv {
  crc: number;
  crcOk: boolean;
  redundant: boolean;
  bigEndian: boolean;
  flags?: number;
  /** Entries in stored order, split at the first '='. */
  vars: [string, string][];
  /** Bytes used by the entries, terminating NUL included. */
  used: number;
}

/**
 * Read a binary environment. Without `redundant`/`bigEndian`, the four layouts are tried and the one whose CRC
 * matches wins; when none matches, the plain little-endian reading is returned with crcOk false.
 */
export function decodeEnvImage(image: Uint8Array, opts: { redundant?: boolean; bigEndian?: boolean } = {}): DecodedEnv {
  const layouts = [false, true].flatMap((redundant) => [false, true].map((bigEndian) => ({ redundant, bigEndian })))
    .filter((l) => (opts.redundant ?? l.redundant) === l.redundant && (opts.bigEndian ?? l.bigEndian) === l.bigEndian);
  const readings = layouts.filter((l) => image.length > envHeaderSize(l.redundant)).map((l) => {
    const header = envHeaderSize(l.redundant);
    const crc = (l.bigEndian ? readU32BE : readU32LE)(image, 0);
    return { ...l, header, crc, crcOk: crc === crc32(image.subarray(header)) };
  });
  const best = readings.find((r) => r.crcOk) ?? readings[0];
  if (!best) {
    throw new UimgError('TRUNCATED', `${image.length} bytes is too short for an environment`, { expected: '> 5', actual: image.length });
  }
  const decoder = new TextDecoder();
  const vars: [string, string][] = [];
  let at = best.header;
  while (at < image.length && image[at] !== 0) {
    let end = image.indexOf(0, at);
    if (end < 0) end = image.length;
    const entry = decoder.decode(image.subarray(at, end));
    const eq = entry.indexOf('=');
    vars.push(eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)]);
    at = end + 1;
  }
  return {
    crc: best.crc, crcOk: best.crcOk, redundant: best.redundant, bigEndian: best.bigEndian,
    ...(best.redundant ? { flags: image[4]! } : {}), vars, used: Math.min(image.length, at + 1) - best.header,
  };
}
