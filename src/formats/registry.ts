/**
 * The ordered list of formats. Probing runs in this order and the first match wins; a format whose magic can sit
 * inside another's payload must come after the wrapper (a uImage often wraps a zImage, so uImage goes first).
 */
import type { ByteSource } from '../bytes/source.js';
import type { Finding } from '../findings.js';
import { HEADER_SIZE, UIMAGE_MAGIC } from './uimage/header.js';
import { readImage, problemsOf, type ImageReport } from './uimage/image.js';
import { readU32BE } from '../bytes/endian.js';

export interface Decoded<T> {
  format: string;
  value: T;
  findings: Finding[];
  /** Payload ranges worth inspecting in turn. */
  parts?: { name: string; offset: number; length: number }[];
}

export interface FormatModule<T = unknown> {
  id: string;
  /** From the first bytes only: does this look like the format? */
  probe(head: Uint8Array, size: number): boolean;
  decode(src: ByteSource): Promise<Decoded<T>>;
}

const uimage: FormatModule<ImageReport> = {
  id: 'uimage',
  probe: (head, size) => size >= HEADER_SIZE && head.length >= 4 && readU32BE(head, 0) === UIMAGE_MAGIC,
  async decode(src) {
    const report = await readImage(src);
    const findings: Finding[] = problemsOf(report).map((e) => ({
      rule: `uimage-${e.code.toLowerCase().replace(/_/g, '-')}`,
      severity: e.code === 'TRAILING_BYTES' ? 'warning' : 'error',
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
      ...(e.data.offset !== undefined ? { offset: e.data.offset } : {}),
    }));
    const parts = report.subImages
      ? report.subImages.map((s, i) => ({ name: `image ${i}`, offset: s.offset, length: s.size }))
      : [{ name: 'payload', offset: HEADER_SIZE, length: Math.min(report.header.dataSize, src.size - HEADER_SIZE) }];
    return { format: 'uimage', value: report, findings, parts };
  },
};

export const FORMATS: readonly FormatModule[] = [uimage];

export function probeFormat(head: Uint8Array, size: number): FormatModule | undefined {
  return FORMATS.find((f) => f.probe(head, size));
}
