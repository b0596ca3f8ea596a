/**
 * Inspection: probe a source against the format registry, decode it, then inspect each part it names in turn (a
 * uImage's payload, a zImage's compressed kernel and appended DTB), and with `deep` decompress compressed streams and
 * inspect what comes out. The result is a tree of nodes with findings; rules that compare layers and the loader
 * verdicts run over the finished tree (rules.ts, loaders.ts).
 *
 * Header-only inspection (the default) reads a few KiB per node whatever the file size; `deep` reads and
 * decompresses, bounded by `maxBytes`.
 */
import { fromBytes, readClamped, subSource, type ByteSource } from '../bytes/source.js';
import { UimgError, isUimgError, type ErrorCode } from '../errors.js';
import { finding, type Finding } from '../findings.js';
import { COMPRESSION_FORMATS, type CompressedStream } from '../formats/compressed/stream.js';
import { decompress, extractIkconfig, findLinuxBanner } from '../formats/compressed/index.js';
import { FINAL_BANNER, IKCFG_START, indexOfBytes } from '../formats/compressed/banner.js';
import { formatById, probeFormat } from '../formats/registry.js';
import { PROBE_BYTES, type Part } from '../formats/types.js';
import { loaderVerdicts, type LoaderVerdict } from './loaders.js';
import { crossLayerFindings } from './rules.js';

export { DEFAULT_BOOTM_LEN } from './rules.js';

/** --deep: the most read or decompressed for one stream. */
export const DEFAULT_MAX_BYTES = 512 << 20;
/** Containers nest a few levels at most (uImage > zImage > xz > Image); deeper is a crafted file. */
const MAX_DEPTH = 8;
const BANNER_CHUNK = 4 << 20;
/** Errors that end the inspection (a limit, a cancel) rather than becoming a finding about the file. */
const STOPPING: ReadonlySet<ErrorCode> = new Set(['SIZE_LIMIT', 'TIMED_OUT', 'ABORTED']);
const BANNER_OVERLAP = 1024;
/** A compressed .config is tens of KiB, its text a few hundred: more is not a config. */
const MAX_IKCONFIG_GZIP = 1 << 20;
const MAX_IKCONFIG_TEXT = 8 << 20;

export interface InspectOptions {
  /** Read everything: data CRCs, decompression, the Linux banner. */
  deep?: boolean;
  /** U-Boot's CONFIG_SYS_BOOTM_LEN for the bootm-len rule. */
  bootmLen?: number;
  /** The most --deep reads or decompresses for one stream. */
  maxBytes?: number;
  /** Where a zImage that is not inside a uImage will run (bootz's address), for the overlap rules. */
  loadAddress?: number;
  /** Where the DTB will be, for the fdt-overlap rule. */
  fdtAddress?: number;
  /** How far a decoder may read past its header to find a payload. */
  scanWindow?: number;
  signal?: AbortSignal;
}

export interface InspectNode {
  /** What the container calls it: 'file', 'payload', 'image 0', 'appended DTB', 'decompressed'. */
  name: string;
  /** A registry format id, a compression name, or 'data' when nothing matched. */
  format: string;
  /** 'file': offset counts from the start of the file; 'decompressed': from the start of the parent's output. */
  space: 'file' | 'decompressed';
  offset: number;
  length: number;
  summary: string;
  value?: unknown;
  /** The CPU architecture of the code, as uImage's -A names it. */
  arch?: string;
  /** The "Linux version ..." line (--deep). */
  banner?: string;
  /** The configuration the kernel embeds (CONFIG_IKCONFIG, --deep). */
  ikconfig?: Ikconfig;
  findings: Finding[];
  children: InspectNode[];
}

export interface Ikconfig {
  /** The .config text, as scripts/extract-ikconfig prints it. */
  text: string;
  /** Its length in bytes. */
  bytes: number;
  /** How many CONFIG_...= lines it sets. */
  options: number;
  /** CONFIG_LOCALVERSION's value, when set. */
  localVersion?: string;
}

export interface InspectReport {
  size: number;
  root: InspectNode;
  loaders: LoaderVerdict[];
}

export async function inspect(src: ByteSource, opts: InspectOptions = {}): Promise<InspectReport> {
  const root = await inspectRange(src, { name: 'file', space: 'file', base: 0 }, opts, 0);
  crossLayerFindings(root, opts);
  const loaders = loaderVerdicts(root);
  return { size: src.size, root, loaders };
}

interface Where {
  name: string;
  space: InspectNode['space'];
  base: number;
  part?: Part;
}

async function inspectRange(src: ByteSource, where: Where, opts: InspectOptions, depth: number): Promise<InspectNode> {
  opts.signal?.throwIfAborted();
  const node: InspectNode = {
    name: where.name, format: 'data', space: where.space, offset: where.base, length: src.size,
    summary: src.size === 0 ? 'empty' : 'unrecognised data', findings: [], children: [],
  };
  const head = await readClamped(src, 0, PROBE_BYTES);
  const module = where.part?.format ? formatById(where.part.format) : probeFormat(head, src.size);
  if (!module) return node;
  let decoded;
  try {
    decoded = await module.decode(src, { full: opts.deep === true, scanWindow: opts.scanWindow });
  } catch (e) {
    if (!isUimgError(e) || STOPPING.has(e.code)) throw e;
    node.format = module.id;
    node.summary = module.name;
    node.findings.push(finding('malformed', e.message, e.hint, e.data.offset));
    return node;
  }
  Object.assign(node, { format: decoded.format, summary: decoded.summary ?? module.name, value: decoded.value, findings: decoded.findings });
  if (decoded.arch) node.arch = decoded.arch;
  const stream = COMPRESSION_FORMATS.has(node.format) ? (decoded.value as CompressedStream) : undefined;
  if (stream && where.part?.uncompressedSize !== undefined) {
    stream.uncompressedSize = where.part.uncompressedSize;
    stream.sizeSource = where.part.sizeSource;
  }
  if (depth >= MAX_DEPTH) return node;
  for (const part of decoded.parts ?? []) {
    const child = await inspectRange(subSource(src, part.offset, part.length), { name: part.name, space: where.space, base: where.base + part.offset, part }, opts, depth + 1);
    node.children.push(child);
  }
  if (!opts.deep) return node;
  if (stream) {
    await decompressInto(node, stream, src, opts, depth);
  } else if (node.arch && node.children.length === 0) {
    node.banner = await bannerIn(src, opts);
    await ikconfigInto(node, await ikconfigBlock(src, opts), opts);
  }
  return node;
}

/** Read a whole range into memory, refusing more than the limit. */
async function readBounded(src: ByteSource, opts: InspectOptions, what: string): Promise<Uint8Array> {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (src.size > max) {
    throw new UimgError('SIZE_LIMIT', `${what} is ${src.size} bytes, more than --max-bytes ${max}`,
      { field: 'max-bytes', expected: `<= ${max}`, actual: src.size }, 'raise --max-bytes to read it');
  }
  return (await src.read(0, src.size)).slice();
}

async function decompressInto(node: InspectNode, stream: CompressedStream, src: ByteSource, opts: InspectOptions, depth: number): Promise<void> {
  let data: Uint8Array;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    const input = await readBounded(src, opts, `the ${stream.compression} stream`);
    ({ data } = await decompress(stream.compression, input, { maxOutputBytes: maxBytes, signal: opts.signal }));
  } catch (e) {
    if (isUimgError(e) && e.code === 'SIZE_LIMIT' && e.data.expected === maxBytes) {
      throw new UimgError('SIZE_LIMIT', `the ${stream.compression} stream at ${node.offset} decompresses to more than --max-bytes ${maxBytes}`,
        { ...e.data, field: 'max-bytes' }, 'raise --max-bytes to read it, if the input is trusted');
    }
    if (!isUimgError(e) || STOPPING.has(e.code)) throw e;
    if (e.code === 'UNSUPPORTED_COMPRESSION') stream.notDecompressed = e.message;
    else node.findings.push(finding('malformed', `the ${stream.compression} stream does not decompress: ${e.message}`, e.hint ?? 'the payload is damaged', node.offset));
    return;
  }
  stream.decompressedSize = data.length;
  if (stream.uncompressedSize !== undefined && stream.uncompressedSize !== data.length) {
    node.findings.push(finding('malformed', `the stream decompresses to ${data.length} bytes, the ${stream.sizeSource} says ${stream.uncompressedSize}`,
      'the payload or its size record is damaged'));
  }
  const child = await inspectRange(fromBytes(data), { name: 'decompressed', space: 'decompressed', base: 0 }, opts, depth + 1);
  if (!child.banner && child.children.length === 0) child.banner = findLinuxBanner(data);
  if (child.format === 'data' && child.banner) child.summary = 'Linux kernel (raw Image)';
  if (!child.ikconfig && child.children.length === 0) await ikconfigInto(child, ikconfigAt(data, indexOfBytes(data, IKCFG_START)), opts);
  node.children.push(child);
}

/** The Linux banner in an uncompressed kernel, read in overlapping chunks, chosen as findLinuxBanner chooses. */
async function bannerIn(src: ByteSource, opts: InspectOptions): Promise<string | undefined> {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let last: string | undefined;
  for (let at = 0; at < Math.min(src.size, max); at += BANNER_CHUNK) {
    opts.signal?.throwIfAborted();
    const hit = findLinuxBanner(await readClamped(src, at, BANNER_CHUNK + BANNER_OVERLAP));
    if (hit && FINAL_BANNER.test(hit)) return hit;
    last = hit ?? last;
  }
  return last;
}

/** The bytes from IKCFG_ST at `at` on, bounded: enough for a real config's gzip stream and its end marker. */
function ikconfigAt(bytes: Uint8Array, at: number): Uint8Array | undefined {
  return at < 0 ? undefined : bytes.subarray(at, at + IKCFG_START.length + MAX_IKCONFIG_GZIP + IKCFG_START.length);
}

/** The IKCFG block of an uncompressed kernel, found in overlapping chunks as the banner is. */
async function ikconfigBlock(src: ByteSource, opts: InspectOptions): Promise<Uint8Array | undefined> {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  for (let at = 0; at < Math.min(src.size, max); at += BANNER_CHUNK) {
    opts.signal?.throwIfAborted();
    const hit = indexOfBytes(await readClamped(src, at, BANNER_CHUNK + IKCFG_START.length), IKCFG_START);
    if (hit >= 0) return readClamped(src, at + hit, 2 * IKCFG_START.length + MAX_IKCONFIG_GZIP);
  }
  return undefined;
}

/** Decompress the block's config onto the node; a damaged one is a finding. */
async function ikconfigInto(node: InspectNode, block: Uint8Array | undefined, opts: InspectOptions): Promise<void> {
  if (!block) return;
  let text: string | undefined;
  try {
    text = await extractIkconfig(block, { maxOutputBytes: Math.min(MAX_IKCONFIG_TEXT, opts.maxBytes ?? DEFAULT_MAX_BYTES), signal: opts.signal });
  } catch (e) {
    // A config past MAX_IKCONFIG_TEXT is damage, not a reason to stop the inspection.
    if (!isUimgError(e) || (STOPPING.has(e.code) && e.code !== 'SIZE_LIMIT')) throw e;
    node.findings.push(finding('malformed', `the embedded kernel configuration (IKCFG_ST) does not decompress: ${e.message}`, 'the kernel image is damaged'));
    return;
  }
  if (text === undefined) return;
  const localVersion = /^CONFIG_LOCALVERSION="(.*)"$/m.exec(text)?.[1];
  node.ikconfig = {
    text, bytes: new TextEncoder().encode(text).length, options: text.match(/^CONFIG_\w+=/gm)?.length ?? 0,
    ...(localVersion !== undefined ? { localVersion } : {}),
  };
}
