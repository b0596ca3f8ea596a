/**
 * The in-memory device tree shared by the DTS compiler, the flattener and the decompiler: the information dtc keeps
 * per node and property (labels, markers that say how a value was written and where references sit, source
 * positions, deletion and omit-if-no-ref flags). A tree read from a blob has no labels, no type markers and no
 * positions; one parsed from source has all three, which is what lets `-I dts -O dts` keep the source's shape.
 */

/** A position in a source file, 1-based lines and columns as dtc prints them (`file:line.col-col`). */
export interface SourcePosition {
  file: string;
  firstLine: number;
  firstColumn: number;
  lastLine: number;
  lastColumn: number;
}

/**
 * What sits at a byte offset of a property value (dtc's markers): a label, a reference to resolve, or the start of
 * a run written as strings, bytes or cells of a width. Offsets are in bytes from the value's start; markers are kept
 * in offset order.
 */
export type MarkerType =
  | 'label' // `ref` is the label's name
  | 'phandle-ref' // `ref` is a label or a path; 4 bytes at `offset` receive the target's phandle
  | 'path-ref' // `ref` is a label or a path; the target's full path and a NUL are inserted at `offset`
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'string'
  | 'none'; // bytes of no declared type (`/incbin/`): the decompiler guesses, as dtc does

export interface Marker {
  offset: number;
  type: MarkerType;
  ref?: string;
}

export interface DtProperty {
  name: string;
  value: Uint8Array;
  markers: Marker[];
  labels: string[];
  pos?: SourcePosition;
}

/** Labels (`labels` of nodes, properties and reservations) are in dtc's list order: the one added last first. */
export interface DtNode {
  /** The full name, unit address included (`memory@80000000`); the root's is ''. */
  name: string;
  properties: DtProperty[];
  children: DtNode[];
  labels: string[];
  /** Set while compiling once a phandle is assigned or read; 0 means none. */
  phandle: number;
  /** `/omit-if-no-ref/`: dropped at the end unless something references it. */
  omitIfNoRef?: boolean;
  /** Something refers to this node (a phandle or path reference). */
  referenced?: boolean;
  pos?: SourcePosition;
  /** Where later blocks that were merged into this node were written (dtc's "also defined at"). */
  alsoAt?: SourcePosition[];
}

export interface DtReservation {
  address: bigint;
  size: bigint;
  labels: string[];
}

export interface DeviceTree {
  /** `/dts-v1/` was given (always true for blobs); `/plugin/` marks an overlay. */
  plugin: boolean;
  reservations: DtReservation[];
  root: DtNode;
  bootCpuidPhys: number;
  /** `/delete-node/ &{/};` deleted the root itself: the blob then has no nodes at all, as dtc writes it. */
  rootDeleted?: boolean;
}

export function emptyNode(name: string): DtNode {
  return { name, properties: [], children: [], labels: [], phandle: 0 };
}
