/**
 * Reading an SH romImage back: walk the code from offset 0, recognising each script command's expansion, the cache
 * tail and the copy code. A candidate is read from its opcodes and literals, re-encoded, and accepted only when the
 * bytes match exactly, so the walk never guesses. This reads romImages made by uimg and by Linux alike (for boards
 * whose setup is a partner-jet script, or none).
 */
import type { Endian } from '../../asm/assembler.js';
import { sh4Assembler } from '../../asm/sh4.js';
import { assembleCacheTail, assembleCommand, assembleCopyAndJump } from './sh-code.js';
import { scriptNumber, type ScriptCommand } from './script.js';
import { isPageSize, type PageSize } from './zero-page.js';

export interface ShSetupDecoded {
  endian: Endian;
  commands: ScriptCommand[];
  icbiAddress?: number;
  /** Offset of the copy code, and what it copies where. */
  copyCode: { offset: number; size: number; pageSize: PageSize; kernelText: number };
  /** Offset of the boot-parameter page (the payload follows it). */
  pageOffset: number;
}

/** The copy code and its literals, the longest thing the walk recognises. */
const LONGEST_STEP = 64;

const STORE_OPS: Record<number, 'ED' | 'EW' | 'EB'> = { 0x2102: 'ED', 0x2101: 'EW', 0x2100: 'EB' };

/** Re-encode `build` at `at` and compare with the image. */
function matches(bytes: Uint8Array, at: number, endian: Endian, build: (a: ReturnType<typeof sh4Assembler>) => void): number | undefined {
  const a = sh4Assembler(at);
  build(a);
  let code: Uint8Array;
  try {
    code = a.assemble(endian);
  } catch {
    return undefined; // e.g. an immediate out of range: not our code
  }
  if (at + code.length > bytes.length) return undefined;
  for (let i = 0; i < code.length; i++) if (bytes[at + i] !== code[i]) return undefined;
  return code.length;
}

type Step =
  | { kind: 'command'; command: ScriptCommand; size: number }
  | { kind: 'tail'; icbiAddress: number; size: number }
  | { kind: 'copy'; pageSize: PageSize; kernelText: number; size: number };

function stepAt(bytes: Uint8Array, at: number, endian: Endian): Step | undefined {
  if (at + 6 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endian === 'little';
  const half = (p: number) => view.getUint16(p, le);
  /** The literal a `mov.l @(disp,PC)` / `mova` at p refers to. */
  const literal = (p: number) => {
    const addr = (p & ~3) + 4 + (half(p) & 0xff) * 4;
    return addr + 4 <= bytes.length ? view.getUint32(addr, le) : undefined;
  };
  const [h0, h1, h2] = [half(at), half(at + 2), half(at + 4)];
  const command = (c: ScriptCommand): Step | undefined => {
    const size = matches(bytes, at, endian, (a) => assembleCommand(a, c));
    return size === undefined ? undefined : { kind: 'command', command: c, size };
  };
  if ((h0 & 0xff00) === 0xd100 && (h1 & 0xff00) === 0xd000 && STORE_OPS[h2]) {
    const addr = literal(at), data = literal(at + 2);
    if (addr === undefined || data === undefined) return undefined;
    const op = STORE_OPS[h2]!;
    return command({ op, addr: scriptNumber(addr, 8), data: scriptNumber(data, op === 'ED' ? 8 : op === 'EW' ? 4 : 2) });
  }
  if ((h0 & 0xff00) === 0xd300) {
    const loops = literal(at);
    if (loops === undefined || loops % 100 !== 0) return undefined;
    return command({ op: 'WAIT', count: { value: loops / 100, text: String(loops / 100) } });
  }
  if ((h0 & 0xff00) === 0xd100 && h1 === 0x6012) {
    const addr = literal(at);
    return addr === undefined ? undefined : command({ op: 'DD', addr: scriptNumber(addr, 8), extra: [] });
  }
  if ((h0 & 0xff00) === 0xd000 && h1 === 0x00e3) {
    const icbiAddress = literal(at);
    if (icbiAddress === undefined) return undefined;
    const size = matches(bytes, at, endian, (a) => assembleCacheTail(a, icbiAddress));
    return size === undefined ? undefined : { kind: 'tail', icbiAddress, size };
  }
  if ((h0 & 0xff00) === 0xc700 && at + 10 <= bytes.length) {
    const kernelText = literal(at + 6); // mov.l empty_zero_page_dst,r1
    const pageSize = 2 ** ((half(at + 8) & 0xff) + 4); // mov #(PAGE_SHIFT - 4),r4
    if (kernelText === undefined || !isPageSize(pageSize)) return undefined;
    const size = matches(bytes, at, endian, (a) => assembleCopyAndJump(a, Math.log2(pageSize), kernelText));
    return size === undefined ? undefined : { kind: 'copy', pageSize, kernelText, size };
  }
  return undefined;
}

export interface ShSetupWalk {
  endian: Endian;
  commands: ScriptCommand[];
  icbiAddress?: number;
  /** Where the walk stopped: the copy code, the end of the bytes given, or unrecognised code. */
  end: { kind: 'copy'; offset: number; step: Extract<Step, { kind: 'copy' }> } | { kind: 'truncated' | 'unknown'; offset: number };
}

function walk(bytes: Uint8Array, endian: Endian): ShSetupWalk {
  const commands: ScriptCommand[] = [];
  let icbiAddress: number | undefined;
  let at = 0;
  for (;;) {
    const step = stepAt(bytes, at, endian);
    if (!step) return { endian, commands, ...(icbiAddress !== undefined ? { icbiAddress } : {}), end: { kind: at + LONGEST_STEP > bytes.length ? 'truncated' : 'unknown', offset: at } };
    if (step.kind === 'copy') return { endian, commands, ...(icbiAddress !== undefined ? { icbiAddress } : {}), end: { kind: 'copy', offset: at, step } };
    if (step.kind === 'tail') icbiAddress = step.icbiAddress;
    else commands.push(step.command);
    at += step.size;
  }
}

/** The setup of an SH romImage from its first bytes, in whichever byte order fits; undefined when it is not one. */
export function decodeShSetup(bytes: Uint8Array): ShSetupDecoded | undefined {
  for (const endian of ['little', 'big'] as const) {
    const w = walk(bytes, endian);
    if (w.end.kind !== 'copy') continue;
    const { offset, step } = w.end;
    return {
      endian,
      commands: w.commands,
      ...(w.icbiAddress !== undefined ? { icbiAddress: w.icbiAddress } : {}),
      copyCode: { offset, size: step.size, pageSize: step.pageSize, kernelText: step.kernelText },
      pageOffset: offset + step.size,
    };
  }
  return undefined;
}

/**
 * From a file's first bytes only: does it start like an SH romImage? Yes when the copy code is reached, or when at
 * least two whole script commands match and the bytes run out before anything else appears.
 */
export function looksLikeShRomImage(head: Uint8Array): boolean {
  return (['little', 'big'] as const).some((endian) => {
    const w = walk(head, endian);
    return w.end.kind === 'copy' || (w.end.kind === 'truncated' && w.commands.length >= 2);
  });
}
