/**
 * ELF executables (a vmlinux, the decompressed x86 payload, bare-metal programs): the file header and the program
 * headers, 32- or 64-bit, either byte order. Addresses are bigint: a 64-bit kernel's 0xffffffff81000000 does not fit
 * a double.
 */
import { bytesAt, readU16BE, readU16LE, readU32BE, readU32LE, readU64BE, readU64LE } from '../../bytes/endian.js';
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { finding, type Finding } from '../../findings.js';
import type { Decoded, FormatModule } from '../types.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const PT_LOAD = 1;

/** e_machine values we name, with the uImage architecture each corresponds to. */
export const ELF_MACHINES: Readonly<Record<number, { name: string; arch?: string; arch64?: string }>> = {
  2: { name: 'SPARC', arch: 'sparc' },
  3: { name: 'Intel 80386', arch: 'x86' },
  4: { name: 'Motorola 68000', arch: 'm68k' },
  8: { name: 'MIPS', arch: 'mips', arch64: 'mips64' },
  20: { name: 'PowerPC', arch: 'powerpc' },
  21: { name: 'PowerPC64', arch: 'powerpc' },
  22: { name: 'IBM S/390', arch: 's390' },
  40: { name: 'ARM', arch: 'arm' },
  42: { name: 'SuperH', arch: 'sh' },
  43: { name: 'SPARC v9', arch: 'sparc64' },
  50: { name: 'IA-64', arch: 'ia64' },
  62: { name: 'x86-64', arch: 'x86_64' },
  92: { name: 'OpenRISC', arch: 'or1k' },
  93: { name: 'ARC', arch: 'arc' },
  94: { name: 'Xtensa', arch: 'xtensa' },
  113: { name: 'Nios II', arch: 'nios2' },
  183: { name: 'AArch64', arch: 'arm64' },
  189: { name: 'MicroBlaze', arch: 'microblaze' },
  195: { name: 'ARCv2', arch: 'arc' },
  243: { name: 'RISC-V', arch: 'riscv' },
};

const ELF_TYPES: Readonly<Record<number, string>> = { 0: 'none', 1: 'relocatable', 2: 'executable', 3: 'shared object', 4: 'core' };
const PT_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL', 1: 'LOAD', 2: 'DYNAMIC', 3: 'INTERP', 4: 'NOTE', 5: 'SHLIB', 6: 'PHDR', 7: 'TLS',
  0x6474e550: 'GNU_EH_FRAME', 0x6474e551: 'GNU_STACK', 0x6474e552: 'GNU_RELRO', 0x6474e553: 'GNU_PROPERTY',
};

export interface ElfSegment {
  type: number;
  typeName: string;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  /** R, W, X as letters ('R-X'). */
  flags: string;
  align: number;
}

export interface Elf {
  bits: 32 | 64;
  endianness: 'little' | 'big';
  osabi: number;
  type: number;
  typeName: string;
  machine: number;
  machineName: string;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  phnum: number;
  shnum: number;
  segments: ElfSegment[];
}

export function isElf(head: Uint8Array): boolean {
  return bytesAt(head, 0, ELF_MAGIC) && (head[4] === 1 || head[4] === 2) && (head[5] === 1 || head[5] === 2) && head[6] === 1;
}

interface Reader {
  u16(b: Uint8Array, o: number): number;
  u32(b: Uint8Array, o: number): number;
  addr(b: Uint8Array, o: number): bigint;
  /** An offset or size: bounded by the file, so a number (values past 2^53 read as Infinity and fail checks). */
  off(b: Uint8Array, o: number): number;
  addrSize: number;
}

function reader(bits: 32 | 64, little: boolean): Reader {
  const u16 = little ? readU16LE : readU16BE;
  const u32 = little ? readU32LE : readU32BE;
  const u64 = little ? readU64LE : readU64BE;
  const addr = bits === 64 ? u64 : (b: Uint8Array, o: number) => BigInt(u32(b, o));
  return {
    u16, u32, addr, addrSize: bits / 8,
    off: (b, o) => {
      const v = addr(b, o);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
    },
  };
}

const flagLetters = (f: number) => `${f & 4 ? 'R' : '-'}${f & 2 ? 'W' : '-'}${f & 1 ? 'X' : '-'}`;

async function decodeElf(src: ByteSource): Promise<Decoded<Elf>> {
  const head = await src.read(0, 64);
  const findings: Finding[] = [];
  const bits = head[4] === 2 ? 64 : 32;
  const r = reader(bits, head[5] === 1);
  const ehsize = bits === 64 ? 64 : 52;
  if (head.length < ehsize) {
    const short = new Uint8Array(ehsize);
    short.set(head);
    findings.push(finding('truncated', `the file ends at ${head.length} bytes, inside the ${ehsize}-byte ELF header`, 'the file was cut short', head.length));
    return { format: 'elf', value: elfHeader(short, r, bits, []), findings, summary: `ELF ${bits}-bit (truncated)` };
  }
  const a = r.addrSize;
  const phoff = r.off(head, 0x18 + a);
  const phentsize = r.u16(head, 0x18 + 3 * a + 6);
  const phnum = r.u16(head, 0x18 + 3 * a + 8);
  const segments: ElfSegment[] = [];
  const wantPhent = bits === 64 ? 56 : 32;
  if (phnum > 0 && phentsize < wantPhent) {
    findings.push(finding('malformed', `e_phentsize is ${phentsize}, a ${bits}-bit program header is ${wantPhent} bytes`,
      'the ELF header is damaged', 0x18 + 3 * a + 6));
  } else if (phnum > 0) {
    const table = await readClamped(src, phoff, phnum * phentsize);
    if (phoff + phnum * phentsize > src.size) {
      findings.push(finding('truncated', `the program headers (${phnum} at ${phoff}) run past the end of the file`,
        'the file was cut short', 0x18 + a));
    }
    for (let i = 0; (i + 1) * phentsize <= table.length; i++) {
      segments.push(segment(table, i * phentsize, r, bits));
    }
    const cut = segments.filter((s) => s.type === PT_LOAD && s.offset + s.filesz > src.size);
    if (cut.length) {
      findings.push(finding('truncated', `${cut.length} LOAD segment(s) run past the end of the file (the first ends at ${cut[0]!.offset + cut[0]!.filesz})`,
        'the file was cut short', phoff));
    }
  }
  const value = elfHeader(head, r, bits, segments);
  const machine = ELF_MACHINES[value.machine];
  const arch = bits === 64 ? machine?.arch64 ?? machine?.arch : machine?.arch;
  return {
    format: 'elf',
    value,
    findings,
    summary: `ELF ${bits}-bit ${value.endianness === 'little' ? 'LSB' : 'MSB'} ${value.typeName}, ${value.machineName}`,
    ...(arch ? { arch } : {}),
  };
}

function elfHeader(h: Uint8Array, r: Reader, bits: 32 | 64, segments: ElfSegment[]): Elf {
  const a = r.addrSize;
  const type = r.u16(h, 0x10);
  const machine = r.u16(h, 0x12);
  return {
    bits,
    endianness: h[5] === 1 ? 'little' : 'big',
    osabi: h[7]!,
    type,
    typeName: ELF_TYPES[type] ?? `type ${type}`,
    machine,
    machineName: ELF_MACHINES[machine]?.name ?? `machine ${machine}`,
    entry: r.addr(h, 0x18),
    phoff: r.off(h, 0x18 + a),
    shoff: r.off(h, 0x18 + 2 * a),
    flags: r.u32(h, 0x18 + 3 * a),
    phnum: r.u16(h, 0x18 + 3 * a + 8),
    shnum: r.u16(h, 0x18 + 3 * a + 12),
    segments,
  };
}

function segment(t: Uint8Array, o: number, r: Reader, bits: 32 | 64): ElfSegment {
  const type = r.u32(t, o);
  const common = (flags: number) => ({ type, typeName: PT_NAMES[type] ?? `0x${type.toString(16)}`, flags: flagLetters(flags) });
  if (bits === 64) {
    return {
      ...common(r.u32(t, o + 4)), offset: r.off(t, o + 8), vaddr: r.addr(t, o + 16), paddr: r.addr(t, o + 24),
      filesz: r.off(t, o + 32), memsz: r.off(t, o + 40), align: r.off(t, o + 48),
    };
  }
  return {
    ...common(r.u32(t, o + 24)), offset: r.u32(t, o + 4), vaddr: r.addr(t, o + 8), paddr: r.addr(t, o + 12),
    filesz: r.u32(t, o + 16), memsz: r.u32(t, o + 20), align: r.u32(t, o + 28),
  };
}

export const elfFormat: FormatModule<Elf> = {
  id: 'elf',
  name: 'ELF executable',
  signatures: [{ bytes: ELF_MAGIC, at: 0 }],
  hexFields: ['entry', 'phoff', 'shoff', 'flags', 'offset', 'vaddr', 'paddr', 'filesz', 'memsz', 'align'],
  probe: (head) => isElf(head),
  decode: decodeElf,
};
