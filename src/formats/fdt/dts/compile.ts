/**
 * DTS → DeviceTree → blob, in dtc 1.6.1's order: parse (with /include/ and /incbin/ read through the caller's
 * function), -b, the check pass with its fixups, then -@'s __symbols__ and an overlay's __fixups__ and
 * __local_fixups__, then the flattened blob. Failures are dtc's: a UimgError BAD_DTS whose data carries the lines
 * dtc prints before it stops (`messages`) and its exit status (`exitCode`).
 */
import { dtcFailure, DtsSession, type ReadFile } from './session.js';
import { parseDts } from './parser.js';
import { type CheckLevel, type DtcCheck, runChecks } from './checkrun.js';
import { FixupFatal, type PhandleFormat, generateFixups, generateLabelTree } from './fixups.js';
import { type FlattenOptions, flattenTree } from './flatten.js';
import type { DeviceTree } from '../tree.js';

export interface DtcOptions extends FlattenOptions {
  /** -i: directories searched for /include/ and /incbin/ files after the including file's own. */
  searchPaths?: readonly string[];
  /** -b: the header's boot_cpuid_phys; without it dtc guesses from the first CPU's `reg`. */
  bootCpuid?: number;
  /** -H (epapr by default). */
  phandleFormat?: PhandleFormat;
  /** -@: __symbols__ (and a phandle for every labelled node). */
  symbols?: boolean;
  /** -f: write the output even when checks failed. */
  force?: boolean;
  /** -q count. */
  quiet?: number;
  /** Check levels after -W/-E. */
  levels?: ReadonlyMap<string, CheckLevel>;
  /** Semantic checks to run after the fixups (checks.ts). */
  checks?: readonly DtcCheck[];
  /** The output's name, which messages about nodes without a position show. */
  outName?: string;
}

export interface DtcResult {
  tree: DeviceTree;
  /** What dtc prints to stderr on the way, in its words (warnings; errors when forced). */
  messages: string[];
}

/** Run the check pass and the generators over a tree (from source or from a blob), as dtc does after reading it. */
export function processTree(tree: DeviceTree, opts: DtcOptions = {}, earlier: readonly string[] = []): DtcResult {
  if (opts.bootCpuid !== undefined) tree.bootCpuidPhys = opts.bootCpuid >>> 0;
  const run = runChecks(tree, {
    symbols: opts.symbols ?? false,
    phandleFormat: opts.phandleFormat ?? 'epapr',
    quiet: opts.quiet ?? 0,
    outName: opts.outName ?? '-',
    ...(opts.levels ? { levels: opts.levels } : {}),
    ...(opts.checks ? { more: opts.checks } : {}),
  });
  const messages = [...earlier, ...run.messages];
  if (run.failed) {
    if (!opts.force) throw dtcFailure('ERROR: Input tree has errors, aborting (use -f to force output)', 2, messages, undefined, false);
    if ((opts.quiet ?? 0) < 3) messages.push('Warning: Input tree has errors, output forced');
  }
  try {
    if (opts.symbols) generateLabelTree(run.ix, '__symbols__', true);
    if (tree.plugin) generateFixups(run.ix);
  } catch (e) {
    if (e instanceof FixupFatal) throw dtcFailure(e.message, 1, messages);
    throw e;
  }
  messages.push(...run.ix.warnings);
  return { tree, messages };
}

/** Parse a DTS source and run dtc's passes over it: the finished tree. */
export function compileDtsTree(fileName: string, text: Uint8Array, readFile: ReadFile, opts: DtcOptions = {}): DtcResult {
  const session = new DtsSession(readFile, opts.searchPaths ?? []);
  const tree = parseDts(session, fileName, text);
  return processTree(tree, opts, session.messages);
}

/** `dtc -I dts -O dtb`: the blob, byte for byte as dtc 1.6.1 writes it. */
export function compileDts(fileName: string, text: Uint8Array, readFile: ReadFile, opts: DtcOptions = {}): DtcResult & { blob: Uint8Array } {
  const result = compileDtsTree(fileName, text, readFile, opts);
  const blob = flattenTree(result.tree, { ...opts, warn: (l) => result.messages.push(l) });
  return { ...result, blob };
}
