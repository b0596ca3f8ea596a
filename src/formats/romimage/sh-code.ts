/**
 * The SH-4 code of a romImage, from the documented behaviour of Linux's romimage (arch/sh/boot/romimage/head.S and
 * asm/romimage-macros.h): each script command becomes the same instructions and literal pool as the kernel's macro
 * makes of it, so the bytes match a Linux build; then the SH-4A cache tail of the kfr2r09/ecovec24 boards, then the
 * code that copies the boot-parameter page to the kernel's `_text` and jumps to the zImage after the page.
 *
 * Each command branches over its own literals, so it is position-independent; a command that starts 4-aligned takes
 * 20 bytes (DD 12), one that starts at 2 mod 4 takes 18 (DD 14): the assembler places the `.align 2` fill.
 */
import type { Assembler } from '../../asm/assembler.js';
import { SH4, SH4_PCREL as PC } from '../../asm/sh4.js';
import type { ScriptCommand } from './script.js';

/** Registers the macros clobber: r0/r1 carry address and data, r3 counts WAIT loops. */
const R0 = 0, R1 = 1, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7;

const STORE = { ED: SH4.movlStore, EW: SH4.movwStore, EB: SH4.movbStore } as const;

/** Append one script command's expansion. */
export function assembleCommand(a: Assembler, c: ScriptCommand): void {
  const after = a.local();
  switch (c.op) {
    case 'LIST':
      return;
    case 'ED':
    case 'EW':
    case 'EB': {
      const addr = a.local(), data = a.local();
      a.insn(PC.movlLiteral(addr, R1)).insn(PC.movlLiteral(data, R0)).insn(STORE[c.op](R0, R1)).insn(PC.bra(after)).insn(SH4.nop())
        .align(4).label(addr).u32(c.addr.value).label(data).u32(c.data.value).label(after);
      return;
    }
    case 'WAIT': {
      const loop = a.local(), count = a.local();
      a.insn(PC.movlLiteral(count, R3)).label(loop).insn(SH4.nop()).insn(SH4.tst(R3, R3)).insn(PC.bfs(loop)).insn(SH4.dt(R3))
        .insn(PC.bra(after)).insn(SH4.nop()).align(4).label(count).u32(c.count.value * 100).label(after);
      return;
    }
    case 'DD': {
      const addr = a.local();
      a.insn(PC.movlLiteral(addr, R1)).insn(SH4.movlLoad(R1, R0)).insn(PC.bra(after)).insn(SH4.nop()).align(4).label(addr).u32(c.addr.value).label(after);
      return;
    }
  }
}

/**
 * The kfr2r09/ecovec24 board tail, run after the script has enabled the caches: invalidate the instruction-cache
 * block of `icbiAddress` (`icbi` exists on SH-4A only) and continue through a register jump.
 */
export function assembleCacheTail(a: Assembler, icbiAddress: number): void {
  const lit = a.local(), next = a.local();
  a.insn(PC.movlLiteral(lit, R0)).insn(SH4.icbi(R0)).insn(PC.mova(next)).insn(SH4.jmp(R0)).insn(SH4.nop())
    .align(4).label(lit).u32(icbiAddress).label(next);
}

/**
 * Copy the page that follows this code (PAGE_SIZE bytes, 16 a step) to `dst`, then jump to the byte after the page.
 * Ends with two literals: `dst`, and the distance from the second literal to the page (4: the page follows at once).
 */
export function assembleCopyAndJump(a: Assembler, pageShift: number, dst: number): void {
  const loop = a.local(), dstLabel = a.local(), extra = a.local();
  a.insn(PC.mova(extra)).insn(PC.movlLiteral(extra, R1)).insn(SH4.add(R1, R0)) // r0 = the page in ROM
    .insn(PC.movlLiteral(dstLabel, R1)) // r1 = _text
    .insn(SH4.movImm(pageShift - 4, R4)).insn(SH4.movImm(1, R3)).insn(SH4.shld(R4, R3)) // r3 = PAGE_SIZE / 16
    .label(loop)
    .insn(SH4.movlLoad(R0, R4)).insn(SH4.movlLoadDisp(4, R0, R5)).insn(SH4.movlLoadDisp(8, R0, R6)).insn(SH4.movlLoadDisp(12, R0, R7))
    .insn(SH4.addImm(16, R0))
    .insn(SH4.movlStore(R4, R1)).insn(SH4.movlStoreDisp(R5, 4, R1)).insn(SH4.movlStoreDisp(R6, 8, R1)).insn(SH4.movlStoreDisp(R7, 12, R1))
    .insn(SH4.dt(R3)).insn(SH4.addImm(16, R1)).insn(PC.bf(loop))
    .insn(SH4.movImm(pageShift, R4)).insn(SH4.movImm(1, R1)).insn(SH4.shld(R4, R1)) // r1 = PAGE_SIZE
    .insn(PC.mova(extra)).insn(SH4.add(R1, R0)).insn(PC.movlLiteral(extra, R1)).insn(SH4.add(R1, R0)) // r0 = the zImage in ROM
    .insn(SH4.jmp(R0)).insn(SH4.nop())
    .align(4).label(dstLabel).u32(dst).label(extra).u32(4);
}
