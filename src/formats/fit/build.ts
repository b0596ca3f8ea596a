/**
 * Making a FIT file as `mkimage -f` / `-F` does, from a compiled blob (an .its compiled to a DTB, an auto FIT, or an
 * existing FIT): import external data, pack, add timestamp, hashes, signatures and keys with mkimage's retries,
 * then move data out with -E. The result is a Rope: write it chunk by chunk.
 */
import type { ByteSource } from '../../bytes/source.js';
import { FdtBlob } from './blob.js';
import { extractData, type ExternalOptions } from './external.js';
import { importData } from './external.js';
import { processFit, type Note, type ProcessOptions } from './steps.js';
import type { Rope } from './rope.js';

export interface BuildFitOptions extends ProcessOptions {
  /** -E, with -B and -p. */
  external?: ExternalOptions;
}

export interface BuiltFit {
  /** 0, or mkimage's code: -1 without a message for a tree without /images, else `Can't add hashes … N`. */
  code: number;
  /** What failed when code is not 0: 'images' (no /images), 'process', 'overlap' (the -p text is in notes). */
  failed?: 'images' | 'process' | 'overlap';
  output?: Rope;
  notes: Note[];
  summary?: { signaturePath: string; keyPath?: string };
}

/** `compiled` is the blob as a source (file or bytes); its data may be external. */
export async function buildFit(compiled: ByteSource, opts: BuildFitOptions): Promise<BuiltFit> {
  const blob = await FdtBlob.fromSource(compiled);
  if (!importData(blob, compiled)) return { code: -1, failed: 'images', notes: [] };
  return finishFit(blob, opts);
}

/** The same from a blob already in memory as a rope (the auto FIT's sequential-writer output). */
export async function buildFitFromRope(rope: Rope, opts: BuildFitOptions): Promise<BuiltFit> {
  const blob = FdtBlob.fromRope(rope);
  blob.openInto(rope.length + 16384);
  blob.pack();
  return finishFit(blob, opts);
}

async function finishFit(packed: FdtBlob, opts: BuildFitOptions): Promise<BuiltFit> {
  const r = await processFit(packed, opts);
  if (r.code !== 0 || !r.blob) return { code: r.code, failed: 'process', notes: r.notes, summary: r.summary };
  if (!opts.external) return { code: 0, output: r.blob.image(), notes: r.notes, summary: r.summary };
  const out = extractData(r.blob, opts.external);
  if ('overlap' in out) return { code: -22, failed: 'overlap', notes: [...r.notes, { stream: 'stderr', text: `${out.overlap}\n` }], summary: r.summary };
  return { code: 0, output: out, notes: r.notes, summary: r.summary };
}
