/** The compressed-stream formats Linux builds its kernel images with, named as uImage's -C names them. */
export type Compression = 'gzip' | 'bzip2' | 'lzma' | 'xz' | 'lzo' | 'lz4' | 'zstd';

/** A compressed stream found inside a larger image. */
export interface PayloadCandidate {
  format: Compression;
  /** Absolute offset in the bytes scanned. */
  offset: number;
  /** Known when the stream's end was found from its own structure, or when the caller gave the end. */
  compressedLength?: number;
  uncompressedSize?: number;
  /** Where uncompressedSize comes from: 'gzip-isize', 'xz-index', 'zstd-frame-header', 'lzma-header', 'lzop-blocks'. */
  sizeSource?: string;
  /**
   * 'validated': the header checks passed, including every checksum the format puts in its headers, and (for the
   * formats with a synchronous decoder) a trial decode of a bounded prefix succeeded. 'magic-only': just the magic.
   */
  confidence: 'validated' | 'magic-only';
}

export interface DecompressLimits {
  /** Decompression stops with SIZE_LIMIT as soon as the output would exceed this. */
  maxOutputBytes: number;
  /** Aborting it (e.g. AbortSignal.timeout(ms)) stops decompression with TIMED_OUT or ABORTED. */
  signal?: AbortSignal;
}

/** What a stream's headers (and the structure that can be walked without decoding) say about it. */
export interface StreamShape {
  compressedLength?: number;
  uncompressedSize?: number;
  sizeSource?: string;
  /** The header checks passed but are too weak to tell the format from chance; a scan reports it magic-only. */
  ambiguous?: true;
}

/**
 * A decoder as a step function: it decodes `input` from its start, hands each piece of output to `emit` (which copies
 * it, so the decoder may reuse its buffer, and may throw to stop it), yields between pieces so the caller can check limits, and returns the number of input bytes the
 * stream used (undefined when the library does not say).
 */
export type DecodeSteps = (input: Uint8Array, emit: (chunk: Uint8Array) => void) => Generator<void, number | undefined, void>;

/** One compression format: how to find it, check it and decode it. */
export interface Codec {
  format: Compression;
  /** The first bytes of every stream of this format that the kernel's build writes: the anchor of the scan. */
  magic: readonly number[];
  /** Header (and structure) checks of a stream at `at`, reading nothing at or past `end`; undefined if invalid. */
  probe(bytes: Uint8Array, at: number, end: number): StreamShape | undefined;
  /** A decoder that runs synchronously, so the scan can trial-decode a prefix; absent when it loads asynchronously. */
  syncSteps?: DecodeSteps;
  /** The decoder, loaded on first use; absent when no acceptable library exists for the format (lzo). */
  loadSteps?: () => Promise<DecodeSteps>;
}
