/**
 * kexec_load segments and the checks the kernel makes before it accepts them (kernel/kexec_core.c
 * sanity_check_segment_list, kernel/kexec.c, arch/arm/kernel/machine_kexec.c in Linux 6.1), as data: each failed
 * check is a finding naming the errno the system call would return.
 */
import { alignUp } from '../bytes/align.js';
import { finding, type Finding } from '../findings.js';

/** include/uapi/linux/kexec.h */
export const KEXEC_SEGMENT_MAX = 16;

export interface Segment {
  /** What the segment holds. */
  name: 'kernel' | 'initrd' | 'dtb' | 'purgatory';
  /** Where its bytes come from: a byte offset in the named input (the DTB and purgatory are built by kexec-tools). */
  source: { file: 'kernel' | 'initrd' | 'dtb' | 'purgatory'; offset: number };
  bufsz: number;
  mem: number;
  memsz: number;
}

export interface Ram {
  base: number;
  size: number;
}

export interface SegmentLimits {
  pageSize: number;
  /** KEXEC_DESTINATION_MEMORY_LIMIT: -1UL, so 2^32 - 1 on 32-bit kernels. */
  destinationLimit: number;
}

/** Unpadded hex, as kexec-tools prints addresses. */
export const hex = (n: number) => '0x' + n.toString(16);
const span = (s: Segment) => `${s.name} [${hex(s.mem)}, ${hex(s.mem + s.memsz)})`;

export function checkSegments(segments: readonly Segment[], ram: Ram, limits: SegmentLimits): Finding[] {
  const out: Finding[] = [];
  const page = limits.pageSize;
  if (segments.length > KEXEC_SEGMENT_MAX) {
    out.push(finding('kexec-segments', `${segments.length} segments: kexec_load takes at most ${KEXEC_SEGMENT_MAX} (EINVAL)`,
      'fewer, larger segments'));
  }
  for (const s of segments) {
    if (s.mem % page !== 0 || (s.mem + s.memsz) % page !== 0) {
      out.push(finding('kexec-address', `${span(s)} is not page aligned (${page} bytes): EADDRNOTAVAIL`,
        'mem and memsz must be multiples of the page size'));
    }
    if (s.mem + s.memsz >= limits.destinationLimit) {
      out.push(finding('kexec-address', `${span(s)} reaches KEXEC_DESTINATION_MEMORY_LIMIT ${hex(limits.destinationLimit)}: EADDRNOTAVAIL`));
    }
    if (s.bufsz > s.memsz) out.push(finding('kexec-bufsz', `${s.name}: bufsz ${s.bufsz} exceeds memsz ${s.memsz} (EINVAL)`));
    if (s.mem < ram.base || s.mem + s.memsz > ram.base + ram.size) {
      out.push(finding('kexec-outside-ram', `${span(s)} is not inside RAM [${hex(ram.base)}, ${hex(ram.base + ram.size)}) (EINVAL on ARM)`,
        'check --ram-base and --ram-size'));
    }
  }
  segments.forEach((s, i) => {
    for (const p of segments.slice(0, i)) {
      if (s.mem + s.memsz > p.mem && s.mem < p.mem + p.memsz) out.push(finding('kexec-overlap', `${span(s)} overlaps ${span(p)} (EINVAL)`));
    }
  });
  // The kernel counts pages of RAM it manages (totalram_pages), a little less than all of RAM.
  const ramPages = Math.floor(ram.size / page);
  const pages = (s: Segment) => Math.ceil(s.memsz / page);
  const total = segments.reduce((n, s) => n + pages(s), 0);
  if (total > ramPages / 2) {
    out.push(finding('kexec-half-ram', `the segments take ${total} pages, more than half of RAM's ${ramPages} (EINVAL)`,
      'a smaller initrd, or more RAM'));
  }
  return out;
}


/**
 * kexec-tools' locate_hole (kexec/kexec.c) for the lowest fit: the free RAM left by the segments so far, each piece
 * raised to `min` and aligned (at least to a page), the first piece with room. undefined when none has.
 */
export function locateHole(ram: Ram, taken: readonly Segment[], size: number, align: number, min: number, pageSize: number): number | undefined {
  const a = Math.max(align, pageSize);
  const free: { start: number; end: number }[] = [];
  let start = ram.base;
  const last = ram.base + ram.size - 1; // inclusive, as /proc/iomem ranges are
  for (const s of [...taken].sort((x, y) => x.mem - y.mem)) {
    if (s.mem > last) break;
    if (start < s.mem) free.push({ start, end: s.mem - 1 });
    start = Math.max(start, s.mem + s.memsz);
  }
  if (start < last) free.push({ start, end: last });
  for (const r of free) {
    const from = alignUp(Math.max(r.start, min), a);
    if (from >= r.end) continue;
    if (r.end - from >= size - 1) return from;
  }
  return undefined;
}
