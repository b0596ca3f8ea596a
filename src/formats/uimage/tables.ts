/**
 * The uImage name tables (U-Boot 2023.01 host tools): one source of truth for mkimage's option names, the listing's
 * long names and our CLIs. Ids are append-only upstream, so rows are listed by id. A row without `name` is an id
 * U-Boot reserves but gives no name (`reserved` says what it was): it lists as "Unknown ..." and is not accepted.
 */
export interface TableEntry {
  readonly id: number;
  readonly name?: string;
  readonly longName?: string;
  /** Further accepted spellings, never listed (PowerPC's `ppc`). */
  readonly aliases?: readonly string[];
  readonly reserved?: string;
}

export interface TypeEntry extends TableEntry {
  /** mkimage writes a legacy uImage for this type ("Default Image support" owns it). */
  readonly legacy?: boolean;
  /** Valid only inside a FIT: mkimage says "unsupported type <long name>". */
  readonly fitOnly?: boolean;
}

export interface NameTable<E extends TableEntry = TableEntry> {
  /** Category word of mkimage's list heading: "Invalid <category>, supported are:". */
  readonly category: string;
  /** mkimage's error line for a bad name. */
  readonly invalidMessage: string;
  /** What the listing prints for an id with no row. */
  readonly unknownLongName: string;
  readonly entries: readonly E[];
}

export const ARCH: NameTable = {
  category: 'architecture',
  invalidMessage: 'Invalid architecture',
  unknownLongName: 'Unknown Architecture',
  entries: [
    { id: 0, name: 'invalid', longName: 'Invalid ARCH' },
    { id: 1, name: 'alpha', longName: 'Alpha' },
    { id: 2, name: 'arm', longName: 'ARM' },
    { id: 3, name: 'x86', longName: 'Intel x86' },
    { id: 4, name: 'ia64', longName: 'IA64' },
    { id: 5, name: 'mips', longName: 'MIPS' },
    { id: 6, name: 'mips64', longName: 'MIPS 64 Bit' },
    { id: 7, name: 'powerpc', longName: 'PowerPC', aliases: ['ppc'] },
    { id: 8, name: 's390', longName: 'IBM S390' },
    { id: 9, name: 'sh', longName: 'SuperH' },
    { id: 10, name: 'sparc', longName: 'SPARC' },
    { id: 11, name: 'sparc64', longName: 'SPARC 64 Bit' },
    { id: 12, name: 'm68k', longName: 'M68K' },
    { id: 13, reserved: 'Nios-32' },
    { id: 14, name: 'microblaze', longName: 'MicroBlaze' },
    { id: 15, name: 'nios2', longName: 'NIOS II' },
    { id: 16, name: 'blackfin', longName: 'Blackfin' },
    { id: 17, name: 'avr32', longName: 'AVR32' },
    { id: 18, reserved: 'ST200' },
    { id: 19, name: 'sandbox', longName: 'Sandbox' },
    { id: 20, name: 'nds32', longName: 'NDS32' },
    { id: 21, name: 'or1k', longName: 'OpenRISC 1000' },
    { id: 22, name: 'arm64', longName: 'AArch64' },
    { id: 23, name: 'arc', longName: 'ARC' },
    { id: 24, name: 'x86_64', longName: 'AMD x86_64' },
    { id: 25, name: 'xtensa', longName: 'Xtensa' },
    { id: 26, name: 'riscv', longName: 'RISC-V' },
  ],
};

export const OS: NameTable = {
  category: 'operating system',
  invalidMessage: 'Invalid operating system',
  unknownLongName: 'Unknown OS',
  entries: [
    { id: 0, name: 'invalid', longName: 'Invalid OS' },
    { id: 1, name: 'openbsd', longName: 'OpenBSD' },
    { id: 2, name: 'netbsd', longName: 'NetBSD' },
    { id: 3, name: 'freebsd', longName: 'FreeBSD' },
    { id: 4, name: '4_4bsd', longName: '4_4BSD' },
    { id: 5, name: 'linux', longName: 'Linux' },
    { id: 6, name: 'svr4', longName: 'SVR4' },
    { id: 7, name: 'esix', longName: 'Esix' },
    { id: 8, name: 'solaris', longName: 'Solaris' },
    { id: 9, name: 'irix', longName: 'Irix' },
    { id: 10, name: 'sco', longName: 'SCO' },
    { id: 11, name: 'dell', longName: 'Dell' },
    { id: 12, name: 'ncr', longName: 'NCR' },
    { id: 13, reserved: 'LynxOS' },
    { id: 14, name: 'vxworks', longName: 'VxWorks' },
    { id: 15, name: 'psos', longName: 'pSOS' },
    { id: 16, name: 'qnx', longName: 'QNX' },
    { id: 17, name: 'u-boot', longName: 'U-Boot' },
    { id: 18, name: 'rtems', longName: 'RTEMS' },
    { id: 19, reserved: 'ARTOS' },
    { id: 20, reserved: 'Unity OS' },
    { id: 21, name: 'integrity', longName: 'INTEGRITY' },
    { id: 22, name: 'ose', longName: 'Enea OSE' },
    { id: 23, name: 'plan9', longName: 'Plan 9' },
    { id: 24, name: 'openrtos', longName: 'OpenRTOS' },
    { id: 25, name: 'arm-trusted-firmware', longName: 'ARM Trusted Firmware' },
    { id: 26, name: 'tee', longName: 'Trusted Execution Environment' },
    { id: 27, name: 'opensbi', longName: 'RISC-V OpenSBI' },
    { id: 28, name: 'efi', longName: 'EFI Firmware' },
  ],
};

export const COMP: NameTable = {
  category: 'compression',
  invalidMessage: 'Invalid compression type',
  unknownLongName: 'Unknown Compression',
  entries: [
    { id: 0, name: 'none', longName: 'uncompressed' },
    { id: 1, name: 'gzip', longName: 'gzip compressed' },
    { id: 2, name: 'bzip2', longName: 'bzip2 compressed' },
    { id: 3, name: 'lzma', longName: 'lzma compressed' },
    { id: 4, name: 'lzo', longName: 'lzo compressed' },
    { id: 5, name: 'lz4', longName: 'lz4 compressed' },
    { id: 6, name: 'zstd', longName: 'zstd compressed' },
  ],
};

export const TYPE: NameTable<TypeEntry> = {
  category: 'image type',
  invalidMessage: 'Invalid image type',
  unknownLongName: 'Unknown Image',
  entries: [
    { id: 0, name: 'invalid', longName: 'Invalid Image' },
    { id: 1, name: 'standalone', longName: 'Standalone Program', legacy: true },
    { id: 2, name: 'kernel', longName: 'Kernel Image', legacy: true },
    { id: 3, name: 'ramdisk', longName: 'RAMDisk Image', legacy: true },
    { id: 4, name: 'multi', longName: 'Multi-File Image', legacy: true },
    { id: 5, name: 'firmware', longName: 'Firmware', legacy: true },
    { id: 6, name: 'script', longName: 'Script', legacy: true },
    { id: 7, name: 'filesystem', longName: 'Filesystem Image', legacy: true },
    { id: 8, name: 'flat_dt', longName: 'Flat Device Tree' },
    { id: 9, name: 'kwbimage', longName: 'Kirkwood Boot Image' },
    { id: 10, name: 'imximage', longName: 'Freescale i.MX Boot Image' },
    { id: 11, name: 'ublimage', longName: 'Davinci UBL image' },
    { id: 12, name: 'omapimage', longName: 'TI OMAP SPL With GP CH' },
    { id: 13, name: 'aisimage', longName: 'Davinci AIS image' },
    { id: 14, name: 'kernel_noload', longName: 'Kernel Image (no loading done)', legacy: true },
    { id: 15, name: 'pblimage', longName: 'Freescale PBL Boot Image' },
    { id: 16, name: 'mxsimage', longName: 'Freescale MXS Boot Image' },
    { id: 17, name: 'gpimage', longName: 'TI Keystone SPL Image' },
    { id: 18, name: 'atmelimage', longName: 'ATMEL ROM-Boot Image' },
    { id: 19, name: 'socfpgaimage', longName: 'Altera SoCFPGA CV/AV preloader' },
    { id: 20, name: 'x86_setup', longName: 'x86 setup.bin', fitOnly: true },
    { id: 21, name: 'lpc32xximage', longName: 'LPC32XX Boot Image' },
    { id: 22, reserved: 'Loadable' },
    { id: 23, name: 'rkimage', longName: 'Rockchip Boot Image' },
    { id: 24, name: 'rksd', longName: 'Rockchip SD Boot Image' },
    { id: 25, name: 'rkspi', longName: 'Rockchip SPI Boot Image' },
    { id: 26, name: 'zynqimage', longName: 'Xilinx Zynq Boot Image' },
    { id: 27, name: 'zynqmpimage', longName: 'Xilinx ZynqMP Boot Image' },
    { id: 28, name: 'zynqmpbif', longName: 'Xilinx ZynqMP Boot Image (bif)' },
    { id: 29, name: 'fpga', longName: 'FPGA Image', fitOnly: true },
    { id: 30, name: 'vybridimage', longName: 'Vybrid Boot Image' },
    { id: 31, name: 'tee', longName: 'Trusted Execution Environment Image', fitOnly: true },
    { id: 32, name: 'firmware_ivt', longName: 'Firmware with HABv4 IVT', legacy: true },
    { id: 33, name: 'pmmc', longName: 'TI Power Management Micro-Controller Firmware', fitOnly: true },
    { id: 34, name: 'stm32image', longName: 'STMicroelectronics STM32 Image' },
    { id: 35, name: 'socfpgaimage_v1', longName: 'Altera SoCFPGA A10 preloader' },
    { id: 36, name: 'mtk_image', longName: 'MediaTek BootROM loadable Image' },
    { id: 37, name: 'imx8mimage', longName: 'NXP i.MX8M Boot Image' },
    { id: 38, name: 'imx8image', longName: 'NXP i.MX8 Boot Image' },
    { id: 39, name: 'copro', longName: 'Coprocessor Image', fitOnly: true },
    { id: 40, name: 'sunxi_egon', longName: 'Allwinner eGON Boot Image' },
    { id: 41, name: 'sunxi_toc0', longName: 'Allwinner TOC0 Boot Image' },
  ],
};

/** Type ids the code branches on (kernel_noload: U-Boot runs the data where it lies, ih_ep an offset into it). */
export const IH_TYPE = { STANDALONE: 1, KERNEL: 2, MULTI: 4, SCRIPT: 6, FLAT_DT: 8, KERNEL_NOLOAD: 14, FIRMWARE_IVT: 32 } as const;
export const IH_OS = { LINUX: 5, TEE: 26 } as const;
export const IH_ARCH = { ARM: 2, PPC: 7, SH: 9, ARM64: 22, RISCV: 26 } as const;
export const IH_COMP = { NONE: 0, GZIP: 1 } as const;

/** Case-insensitive lookup of a name or alias, as mkimage does; undefined when there is no such name. */
export function idForName<E extends TableEntry>(table: NameTable<E>, name: string): E | undefined {
  const wanted = name.toLowerCase();
  return table.entries.find((e) => e.name === wanted || e.aliases?.includes(wanted));
}

/** The row for an id (first row wins, as in U-Boot), if the id has a name. */
export function entryForId<E extends TableEntry>(table: NameTable<E>, id: number): E | undefined {
  const e = table.entries.find((row) => row.id === id);
  return e?.name ? e : undefined;
}

export function longNameForId(table: NameTable, id: number): string {
  return entryForId(table, id)?.longName ?? table.unknownLongName;
}

export function shortNameForId(table: NameTable, id: number): string | undefined {
  return entryForId(table, id)?.name;
}

/** Named rows in strcmp order of the short name: the order of mkimage's "supported are" lists. */
export function namedEntriesSorted<E extends TableEntry>(table: NameTable<E>): E[] {
  return table.entries
    .filter((e) => e.name !== undefined)
    .sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}
