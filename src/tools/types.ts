/**
 * One descriptor per image type, as U-Boot's `image_type_params`: the tools (mkimage, dumpimage, uimg list/verify/
 * extract) pick a descriptor and call its hooks instead of knowing each format. Pure: descriptors read ByteSources and
 * write ByteSinks; messages that name flags or files stay in the CLIs.
 */
import type { ByteSink, ByteSource } from '../bytes/source.js';
import type { UimgError } from '../errors.js';
import type { TimeZone } from '../time/tz.js';

/** What verify_header found: `code` 0 means accepted; otherwise U-Boot's return value (its exit code is 256 + code or the code). */
export interface ToolVerdict<R> {
  code: number;
  report: R;
  /** Why it was not accepted, as a typed error for uimg. */
  problem?: UimgError;
  /** Lines U-Boot's verify prints on stderr even when it accepts (FIT: the unit-address warning). */
  warnings: string[];
}

/**
 * What extract_subimage does: print `preface` to stdout, then copy a byte range of the file (or bytes already read),
 * or refuse with U-Boot's line.
 */
export type Extraction = { preface?: Uint8Array } & (
  | { range: { offset: number; length: number } }
  | { bytes: Uint8Array }
  /** `named`: the line starts with the program's name ("dumpimage: ..."). */
  | { refusal: { stream: 'stdout' | 'stderr'; text: string; named?: boolean } }
);

/** The mkimage parameters a create hook needs (image_tool_params, the subset uimg supports). */
export interface CreateParams {
  arch: number;
  os: number;
  type: number;
  comp: number;
  load: number;
  entry?: number;
  name: string;
  xip: boolean;
  noData: boolean;
  /** Seconds since the epoch (SOURCE_DATE_EPOCH or now). */
  time: number;
  /** The data files, opened (legacy: one, or several for multi/script). */
  parts: readonly ByteSource[];
  /** For the listing printed after creation. */
  timeZone: TimeZone;
}

export interface ImageTool<R = unknown> {
  /** Stable id for code and JSON. */
  readonly id: 'legacy' | 'fit';
  /** The name U-Boot's messages print: "Default Image support", "FIT Image support". */
  readonly name: string;
  /** check_image_type: does this descriptor own the -T type id? */
  ownsType(type: number): boolean;
  /** verify_header: read the image and judge it. */
  verify(src: ByteSource): Promise<ToolVerdict<R>>;
  /** print_header: the listing of an accepted image. */
  print(report: R, timeZone: TimeZone): Uint8Array;
  /** extract_subimage: where component `position` lies. `image` is the file name U-Boot's messages print. */
  extract(report: R, position: number, image: string, timeZone: TimeZone): Extraction;
  /** Write an image; absent when uimg cannot create this type (tools/index.ts decides what is unsupported). */
  create?(params: CreateParams, sink: ByteSink): Promise<{ listing: Uint8Array }>;
}
