/**
 * --scan: find formats at any offset of a blob (a flash dump, a firmware update), like binwalk. Every registry
 * format's signatures are searched chunk by chunk; a hit counts only when the format probes and decodes there
 * without a broken header (a uImage's header CRC, an FDT's offsets, an xz stream header's CRC), which drops the
 * decoy magics a kernel carries in its rodata.
 */
import { readClamped, subSource, type ByteSource } from '../bytes/source.js';
import { UimgError, isUimgError } from '../errors.js';
import { FORMATS } from '../formats/registry.js';
import { PROBE_BYTES, type FormatModule } from '../formats/types.js';
import { DEFAULT_MAX_BYTES, type InspectOptions } from './inspect.js';
import { hexOf } from './present.js';

const CHUNK = 1 << 20;
/** Findings that mean "not really this format here". */
const REJECTING = new Set(['malformed', 'header-crc']);

export interface ScanHit {
  offset: number;
  format: string;
  summary: string;
}

interface Signature {
  module: FormatModule;
  bytes: readonly number[];
  at: number;
}

export async function scan(src: ByteSource, opts: InspectOptions = {}): Promise<ScanHit[]> {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (src.size > max) {
    throw new UimgError('SIZE_LIMIT', `scanning ${src.size} bytes is more than --max-bytes ${max}`,
      { field: 'max-bytes', expected: `<= ${max}`, actual: src.size }, 'raise --max-bytes to scan it');
  }
  const signatures: Signature[] = FORMATS.flatMap((module) => (module.signatures ?? []).map((s) => ({ module, ...s })));
  const overlap = Math.max(...signatures.map((s) => s.at + s.bytes.length)) - 1;
  const candidates = new Map<string, { offset: number; module: FormatModule }>();
  for (let base = 0; base < src.size; base += CHUNK) {
    opts.signal?.throwIfAborted();
    const chunk = await readClamped(src, base, CHUNK + overlap);
    for (const sig of signatures) {
      for (let i = chunk.indexOf(sig.bytes[0]!); i >= 0 && i < CHUNK; i = chunk.indexOf(sig.bytes[0]!, i + 1)) {
        if (!sig.bytes.every((b, j) => chunk[i + j] === b)) continue;
        const offset = base + i - sig.at;
        if (offset >= 0) candidates.set(`${offset}:${sig.module.id}`, { offset, module: sig.module });
      }
    }
  }
  const hits: ScanHit[] = [];
  for (const { offset, module } of [...candidates.values()].sort((a, b) => a.offset - b.offset)) {
    const hit = await confirm(src, offset, module, opts);
    if (hit) hits.push(hit);
  }
  return hits;
}

async function confirm(src: ByteSource, offset: number, module: FormatModule, opts: InspectOptions): Promise<ScanHit | undefined> {
  const here = subSource(src, offset, src.size - offset);
  if (!module.probe(await readClamped(here, 0, PROBE_BYTES), here.size)) return undefined;
  try {
    const d = await module.decode(here, { scanWindow: opts.scanWindow });
    if (d.findings.some((f) => REJECTING.has(f.rule))) return undefined;
    return { offset, format: d.format, summary: d.summary ?? module.name };
  } catch (e) {
    if (isUimgError(e)) return undefined;
    throw e;
  }
}

export function scanJson(file: string, size: number, hits: readonly ScanHit[]): object {
  return { file, size, scan: hits.map((h) => ({ offset: h.offset, offsetHex: hexOf(h.offset), format: h.format, summary: h.summary })) };
}

export function formatScan(file: string, size: number, hits: readonly ScanHit[]): string {
  const lines = [`${file}: ${size} bytes, ${hits.length} header(s) found`];
  for (const h of hits) lines.push(`  ${hexOf(h.offset)}  ${h.format.padEnd(12)} ${h.summary}`);
  return lines.join('\n') + '\n';
}
