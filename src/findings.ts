/**
 * Findings: something suspicious in an image that still parses or builds. Returned as data, never thrown; each comes
 * from a rule in RULES (id, severity, what it means), so the README and --json can list them.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Rule {
  id: string;
  /** Which command checks it: uimg create, inspect (and create, for the header rules), layout check, kexec plan, cpio. */
  scope: 'create' | 'inspect' | 'layout' | 'kexec' | 'cpio' | 'romimage';
  severity: Severity;
  summary: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
  offset?: number;
}

export const RULES = {
  'implicit-arch': { id: 'implicit-arch', scope: 'create', severity: 'warning', summary: 'no architecture given: mkimage defaults to PowerPC' },
  'implicit-comp': { id: 'implicit-comp', scope: 'create', severity: 'warning', summary: 'no compression given: mkimage labels the data gzip' },
  'name-truncated': { id: 'name-truncated', scope: 'create', severity: 'warning', summary: 'the name is longer than the 32-byte field' },
  'comp-mismatch': { id: 'comp-mismatch', scope: 'inspect', severity: 'warning', summary: 'the compression label does not match the data' },
  'entry-outside': { id: 'entry-outside', scope: 'inspect', severity: 'warning', summary: 'the entry point lies outside [load, load + size)' },
  'cpio-checksum': { id: 'cpio-checksum', scope: 'cpio', severity: 'error', summary: 'a crc-format (070702) entry\'s data does not add up to its header\'s sum' },
  'cpio-no-trailer': { id: 'cpio-no-trailer', scope: 'cpio', severity: 'warning', summary: 'a cpio archive ends without its TRAILER!!! entry' },
  'cpio-trailing-data': { id: 'cpio-trailing-data', scope: 'cpio', severity: 'warning', summary: 'bytes after the last cpio archive that were not read' },
  'cpio-unsafe-name': { id: 'cpio-unsafe-name', scope: 'cpio', severity: 'warning', summary: 'an absolute cpio name or one with \'..\' (extraction refuses it)' },
  'cpio-duplicate-name': { id: 'cpio-duplicate-name', scope: 'cpio', severity: 'warning', summary: 'a cpio name appears twice: the later entry replaces the earlier' },
  'kexec-segments': { id: 'kexec-segments', scope: 'kexec', severity: 'error', summary: 'more than 16 kexec segments (KEXEC_SEGMENT_MAX): EINVAL' },
  'kexec-address': { id: 'kexec-address', scope: 'kexec', severity: 'error', summary: 'a kexec segment is not page aligned or ends past the destination limit: EADDRNOTAVAIL' },
  'kexec-bufsz': { id: 'kexec-bufsz', scope: 'kexec', severity: 'error', summary: 'a kexec segment\'s bufsz exceeds its memsz: EINVAL' },
  'kexec-overlap': { id: 'kexec-overlap', scope: 'kexec', severity: 'error', summary: 'two kexec segments overlap: EINVAL' },
  'kexec-outside-ram': { id: 'kexec-outside-ram', scope: 'kexec', severity: 'error', summary: 'a kexec segment lies outside RAM (ARM\'s machine_kexec_prepare: EINVAL)' },
  'kexec-half-ram': { id: 'kexec-half-ram', scope: 'kexec', severity: 'error', summary: 'the kexec segments take more than half of RAM: EINVAL' },
  'kexec-no-room': { id: 'kexec-no-room', scope: 'kexec', severity: 'error', summary: 'kexec-tools finds no place for a segment (or refuses its size)' },
  'kexec-appended-dtb': { id: 'kexec-appended-dtb', scope: 'kexec', severity: 'info', summary: 'the zImage has an appended DTB, which kexec-tools drops (it passes --dtb)' },
  'kexec-decompress-overlap': { id: 'kexec-decompress-overlap', scope: 'kexec', severity: 'warning', summary: 'the ARM kernel decompresses over the initrd or DTB kexec-tools placed after it (TEXT_OFFSET above 0x8000)' },
  'cpio-no-init': { id: 'cpio-no-init', scope: 'cpio', severity: 'info', summary: 'an initramfs without /init: the kernel runs nothing from it unless rdinit= says' },
  'header-crc': { id: 'header-crc', scope: 'inspect', severity: 'error', summary: 'the uImage header CRC does not match: U-Boot refuses the image' },
  'data-crc': { id: 'data-crc', scope: 'inspect', severity: 'error', summary: 'the uImage data CRC does not match the data (checked with --deep)' },
  'truncated': { id: 'truncated', scope: 'inspect', severity: 'error', summary: 'a size in a header (ih_size, zImage end, totalsize, payload) runs past the end of the file' },
  'trailing-bytes': { id: 'trailing-bytes', scope: 'inspect', severity: 'warning', summary: 'bytes follow the end the header declares (and are not an appended DTB)' },
  'malformed': { id: 'malformed', scope: 'inspect', severity: 'error', summary: 'a header field is impossible or a structure is broken' },
  'bootm-len': { id: 'bootm-len', scope: 'inspect', severity: 'error', summary: 'the decompressed kernel is larger than U-Boot\'s CONFIG_SYS_BOOTM_LEN (--bootm-len, default 8 MiB)' },
  'zimage-overlap': { id: 'zimage-overlap', scope: 'inspect', severity: 'warning', summary: 'at its load address an ARM zImage lies where its kernel decompresses: it must move itself first, over whatever follows it' },
  'fdt-overlap': { id: 'fdt-overlap', scope: 'inspect', severity: 'error', summary: 'the DTB address (--fdt-addr) lies where the ARM decompressor writes: page tables, kernel, its moved copy or its stack' },
  'mkimage-defaults': { id: 'mkimage-defaults', scope: 'inspect', severity: 'warning', summary: 'a uImage labelled PowerPC and gzip, mkimage\'s defaults, wraps a kernel that is neither' },
  'arch-mismatch': { id: 'arch-mismatch', scope: 'inspect', severity: 'error', summary: 'the uImage architecture differs from the wrapped kernel\'s' },
  'no-uboot-command': { id: 'no-uboot-command', scope: 'inspect', severity: 'warning', summary: 'no U-Boot command (bootm, bootz, booti, zboot, source) boots the file as it is' },
  'kexec-refuses': { id: 'kexec-refuses', scope: 'inspect', severity: 'info', summary: 'kexec-tools (2.0.25, kexec_load) does not load this kernel file' },
  'at91bootstrap-refuses': { id: 'at91bootstrap-refuses', scope: 'inspect', severity: 'info', summary: 'AT91Bootstrap does not boot this file (it takes an uncompressed uImage or an ARM zImage)' },
  'flash-misaligned': { id: 'flash-misaligned', scope: 'layout', severity: 'error', summary: 'a partition does not start (or end) on an erase block (NAND: and page) boundary' },
  'flash-overlap': { id: 'flash-overlap', scope: 'layout', severity: 'error', summary: 'two partitions share flash bytes' },
  'flash-overflow': { id: 'flash-overflow', scope: 'layout', severity: 'error', summary: 'a partition runs past the end of the flash' },
  'image-oversize': { id: 'image-oversize', scope: 'layout', severity: 'error', summary: 'an image is larger than its partition' },
  'nand-no-spare': { id: 'nand-no-spare', scope: 'layout', severity: 'warning', summary: 'an image fills its NAND partition, leaving no spare erase block for bad blocks' },
  'ram-overlap': { id: 'ram-overlap', scope: 'layout', severity: 'error', summary: 'two RAM ranges of the boot overlap (staging copy, kernel, decompressed kernel, DTB, initrd)' },
  'ram-outside': { id: 'ram-outside', scope: 'layout', severity: 'error', summary: 'a RAM range of the boot runs outside RAM' },
  'ram-size-unknown': { id: 'ram-size-unknown', scope: 'layout', severity: 'warning', summary: 'how much RAM the running kernel takes is unknown (compressed uImage, zImage without size tag): overlap checks use a lower bound' },
  'ram-unchecked': { id: 'ram-unchecked', scope: 'layout', severity: 'info', summary: 'the kernel has no RAM address (or no file) in the layout, so its RAM ranges are not checked' },
  'loader-cannot-boot': { id: 'loader-cannot-boot', scope: 'layout', severity: 'error', summary: 'the layout\'s loader cannot boot this kernel (its kind or compression)' },
  'dtb-misaligned': { id: 'dtb-misaligned', scope: 'layout', severity: 'error', summary: 'the DTB\'s RAM address is not 8-byte aligned' },
  'dtb-not-fdt': { id: 'dtb-not-fdt', scope: 'layout', severity: 'error', summary: 'the DTB file is not a flattened device tree (no d00dfeed magic)' },
  'image-unchecked': { id: 'image-unchecked', scope: 'layout', severity: 'info', summary: 'an image has no file in the layout, so its size is not checked' },
  'rom-no-dtb': { id: 'rom-no-dtb', scope: 'romimage', severity: 'warning', summary: 'an ARM ROM image without a DTB: the kernel gets r2 = 0' },
  'romimage-page': { id: 'romimage-page', scope: 'inspect', severity: 'warning', summary: 'an SH romImage\'s boot-parameter page lacks the "SE?" marker, has bytes outside its fields, or an unterminated command line' },
  'rom-zimage-high': { id: 'rom-zimage-high', scope: 'romimage', severity: 'warning', summary: 'an ARM ROM image copies the zImage outside the first 128 MiB of RAM' },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function finding(rule: RuleId, message: string, hint?: string, offset?: number): Finding {
  return { rule, severity: RULES[rule].severity, message, ...(hint ? { hint } : {}), ...(offset !== undefined ? { offset } : {}) };
}
