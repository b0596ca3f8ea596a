/**
 * The registry module for device trees: a DTB, or a FIT (which is a DTB whose root has a timestamp and an /images
 * node, fit.md §1.9). Which one only the tree can tell, not the first 1024 bytes, so the module produces either id.
 * Header-only decoding walks the structure block without reading values, so a FIT's inline images cost nothing and
 * its strings block is found wherever it lies.
 */
import type { ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import type { Decoded, FormatModule } from '../types.js';
import { FDT_HEADER_SIZE, checkFdtHeader, decodeFdtHeader, isFdt, type FdtHeader, type FdtReservation } from './header.js';
import { fdtNodes, fdtString, fdtStrings, findFdtNode, findFdtProperty, readFdt, readFdtValue, type FdtIndex, type FdtNodeEntry } from './reader.js';

/** What header-only inspection reads of a blob at most (a DTB's tokens and names are far below this). */
export const FDT_HEADER_ONLY_LIMIT = 4 << 20;
/** Summary strings longer than this are not read (a real model or bootargs is far shorter). */
const SUMMARY_VALUE_LIMIT = 64 << 10;

export interface FdtSummary {
  header: FdtHeader;
  reservations: FdtReservation[];
  model?: string;
  compatible?: string[];
  bootargs?: string;
  stdoutPath?: string;
  nodeCount: number;
  /** The structure block was walked to its END token (false: cut by the file's end, a fault or the header-only limit). */
  complete: boolean;
  /** A FIT image: the root has a timestamp and an /images node. */
  fit: boolean;
}

/** Is the indexed tree a FIT (root `timestamp` and `/images`, as U-Boot's FIT handler requires)? */
export function isFitIndex(index: FdtIndex): boolean {
  return findFdtProperty(index.root, 'timestamp') !== undefined && findFdtNode(index.root, '/images') !== undefined;
}

async function stringValue(src: ByteSource, node: FdtNodeEntry | undefined, name: string): Promise<Uint8Array | undefined> {
  const p = findFdtProperty(node, name);
  return p && p.length <= SUMMARY_VALUE_LIMIT && p.valueOffset + p.length <= src.size ? readFdtValue(src, p) : undefined;
}

async function decodeFdtSource(src: ByteSource, opts: { full?: boolean } = {}): Promise<Decoded<FdtSummary>> {
  const header = decodeFdtHeader(await src.read(0, FDT_HEADER_SIZE));
  const findings: Finding[] = [];
  const cut = header.totalSize > src.size;
  if (cut) findings.push(finding('truncated', `totalsize says ${header.totalSize} bytes, the file has ${src.size}`, 'the DTB was cut short', 4));
  const headerProblem = checkFdtHeader(header);
  const index = headerProblem ? undefined : await readFdt(src, { tolerant: true, maxBytes: opts.full ? undefined : FDT_HEADER_ONLY_LIMIT });
  // A blob cut by the file's end is reported as truncated; one cut by the header-only limit is simply read in part.
  const problem = headerProblem ?? (cut ? undefined : index?.error);
  if (problem) {
    findings.push(finding('malformed', `the device tree is broken: ${problem.message}`,
      'dtc -I dtb -O dts shows where; the blob is damaged or not a DTB', problem.data.offset));
  }
  if (header.totalSize < src.size) {
    findings.push(finding('trailing-bytes', `${src.size - header.totalSize} bytes follow totalsize (${header.totalSize})`,
      'padding or a concatenated file', header.totalSize));
  }
  const root = index?.root;
  const chosen = root && findFdtNode(root, '/chosen');
  const value: FdtSummary = {
    header,
    reservations: index?.reservations ?? [],
    model: fdtString(await stringValue(src, root, 'model')),
    compatible: fdtStrings(await stringValue(src, root, 'compatible')),
    bootargs: fdtString(await stringValue(src, chosen, 'bootargs')),
    stdoutPath: fdtString(await stringValue(src, chosen, 'stdout-path')),
    nodeCount: root ? [...fdtNodes(root)].length : 0,
    complete: index?.complete ?? false,
    fit: index ? isFitIndex(index) : false,
  };
  const what = value.fit ? 'FIT image (flattened device tree)' : 'flattened device tree';
  return {
    format: value.fit ? 'fit' : 'fdt',
    value,
    findings,
    summary: `${what}, version ${header.version}${value.model ? `, model "${value.model}"` : ''}`,
  };
}

export const fdtFormat: FormatModule<FdtSummary> = {
  id: 'fdt',
  name: 'flattened device tree (DTB)',
  produces: ['fit'],
  signatures: [{ bytes: [0xd0, 0x0d, 0xfe, 0xed], at: 0 }],
  hexFields: ['magic', 'totalSize', 'offDtStruct', 'offDtStrings', 'offMemRsvmap', 'sizeDtStrings', 'sizeDtStruct', 'address', 'size'],
  probe: (head) => isFdt(head),
  decode: decodeFdtSource,
};
