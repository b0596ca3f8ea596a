// A synthetic SH zImage head with the structure of arch/sh/boot/compressed/head_32.S as kexec-tools reads it
// (kernel-formats.md §4.7): startup code whose third instruction is `mova 1f,r0` onto a literal holding its own
// link address, a literal pool ending init_sr, kexec magic, stack_start, decompress_kernel, kernel_start_addr, nop
// padding to 0x200, then the bzImage stand-in header ("HdrS" at 0x202). The real zImage is GPL and not committed.
import type { Endian } from '../src/asm/assembler.js';
import { SH4, SH4_PCREL, sh4Assembler } from '../src/asm/sh4.js';

export interface FakeZImage {
  endian?: Endian;
  linkAddress?: number;
  kernelEntry?: number;
  /** Total bytes (the compressed kernel would follow the header). */
  size?: number;
}

export function fakeShZImage({ endian = 'little', linkAddress = 0x88800000, kernelEntry = 0x88002000, size = 0x400 }: FakeZImage = {}): Uint8Array {
  const a = sh4Assembler();
  a.insn(SH4_PCREL.movlLiteral('init_sr', 1)).insn(0x410e /* ldc r1,sr */).insn(SH4_PCREL.mova('self')).insn(SH4_PCREL.movlLiteral('self', 2))
    .insn(SH4.nop()).align(4)
    .label('self').u32(linkAddress + 0x0c) // the literal's own link-time address (it sits at 0x0c)
    .u32(linkAddress + 0x1000).u32(linkAddress + 0x2000) // bss_start, end
    .label('init_sr').u32(0x500000f0).u32(0x400000f0).u32(linkAddress + 0x3000).u32(linkAddress + 0x134).u32(kernelEntry);
  while (a.layout().end < 0x200) a.insn(SH4.nop());
  const code = a.assemble(endian);
  const out = new Uint8Array(size);
  out.set(code);
  const view = new DataView(out.buffer);
  const le = endian === 'little';
  out.set(new TextEncoder().encode('HdrS'), 0x202);
  view.setUint16(0x206, 0x0202, le);
  view.setUint16(0x20c, 0x1000, le);
  out[0x211] = 1;
  view.setUint16(0x212, 0x8000, le);
  view.setUint32(0x214, 0x100000, le);
  return out;
}
