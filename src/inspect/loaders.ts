/**
 * Which loaders take an inspected file as it is: U-Boot (bootm, bootz, booti, zboot, bootelf, source), kexec-tools
 * 2.0.25 (kexec_load: its file-type probes and the uImage rules of kexec-uImage.c) and AT91Bootstrap (load_kernel.c:
 * an uncompressed uImage or an ARM zImage). Verdicts are data; a refusal also becomes a finding. The table is keyed
 * by the top-level format, so a new format adds a row.
 */
import { finding, type RuleId } from '../findings.js';
import { COMPRESSION_FORMATS } from '../formats/compressed/stream.js';
import type { BzImage } from '../formats/bzimage/bzimage.js';
import type { UImageInfo } from '../formats/uimage/format.js';
import { compressionMislabel } from '../layout/kernel.js';
import { IH_COMP, IH_TYPE } from '../formats/uimage/tables.js';
import type { ZImageArm } from '../formats/zimage-arm/zimage-arm.js';
import { kexecUImageRefusal } from '../kexec/uimage.js';
import type { InspectNode } from './inspect.js';
import { archAccepts, kernelOf, uimagePayload } from './rules.js';

export type LoaderName = 'U-Boot' | 'kexec-tools' | 'AT91Bootstrap';

export interface LoaderVerdict {
  loader: LoaderName;
  /** null: cannot tell without --deep (what a compressed stream holds). */
  accepts: boolean | null;
  /** The command or file type that takes it ('bootz', 'zImage'). */
  how?: string;
  /** Why not, or what it needs. */
  note?: string;
}

/** Compressions U-Boot's bootm and booti can undo (each behind its CONFIG_ option; gzip is on by default). */
const UBOOT_DECOMPRESSORS = new Set(['gzip', 'bzip2', 'lzma', 'lzo', 'lz4', 'zstd']);
/** kexec-tools reads the kernel file through zlib and liblzma first. */
const KEXEC_DECOMPRESSORS = new Set(['gzip', 'lzma', 'xz']);
/** ELF kernels kexec-tools 2.0.25 loads (arm32 has no ELF loader). */
const KEXEC_ELF_ARCHS = new Set(['x86', 'x86_64', 'arm64', 'sh', 'powerpc', 'mips', 'mips64', 's390', 'alpha', 'ia64', 'm68k']);

type Judge = (node: InspectNode) => LoaderVerdict[];

const yes = (loader: LoaderName, how: string, note?: string): LoaderVerdict => ({ loader, accepts: true, how, ...(note ? { note } : {}) });
const no = (loader: LoaderName, note: string): LoaderVerdict => ({ loader, accepts: false, note });

function uimageVerdicts(node: InspectNode): LoaderVerdict[] {
  const info = node.value as UImageInfo;
  const h = info.header;
  const comp = h.compression.name ?? `compression ${h.compression.id}`;
  if (!info.headerCrcOk) return [no('U-Boot', 'bad header CRC'), no('kexec-tools', 'bad header CRC'), no('AT91Bootstrap', 'bad header CRC')];
  const out: LoaderVerdict[] = [];
  const type = h.type.id;
  const bootable = [IH_TYPE.KERNEL, IH_TYPE.KERNEL_NOLOAD, IH_TYPE.MULTI, IH_TYPE.STANDALONE].includes(type as 2);
  const { detected, kernel } = uimagePayload(node);
  // What the header gets wrong about its payload: both bootm and kexec-tools act on the header.
  const mislabelled = kernel?.arch && bootable && !archAccepts(h.arch.name, kernel.arch)
    ? `the header says ${h.arch.longName}, the kernel is for ${kernel.arch}`
    : type !== IH_TYPE.SCRIPT ? compressionMislabel(h.compression.id, detected) : undefined;
  if (info.dataCrcOk === false) out.push(no('U-Boot', 'bad data CRC (bootm verifies it unless verify=no)'));
  else if (type === IH_TYPE.SCRIPT) out.push(yes('U-Boot', 'source'));
  else if (mislabelled) out.push(no('U-Boot', mislabelled));
  else if (bootable) {
    out.push(yes('U-Boot', 'bootm', `a U-Boot built for ${h.arch.longName}${h.compression.id === IH_COMP.NONE ? '' : ` with ${comp} support`}`));
  } else out.push(no('U-Boot', `a ${h.type.longName} is not booted on its own (bootm takes it as a second or third argument)`));

  const kexecProblem = kexecUImageRefusal({ type, os: h.os.id, arch: h.arch.id, comp: h.compression.id })
    ?? (info.missingBytes > 0 ? 'ih_size runs past the end of the file' : info.dataCrcOk === false ? 'bad data CRC' : mislabelled);
  out.push(kexecProblem ? no('kexec-tools', kexecProblem) : yes('kexec-tools', 'uImage'));

  // AT91 SoCs are 32-bit ARM: other kernels, and files that are not run, are not its business.
  if ((kernel?.arch ?? h.arch.name) === 'arm' && bootable) {
    out.push(mislabelled ? no('AT91Bootstrap', `${mislabelled}: it copies the data to ih_load and jumps into it`)
      : h.compression.id !== IH_COMP.NONE ? no('AT91Bootstrap', `${comp} compression: AT91Bootstrap loads uncompressed uImages only`)
      : type === IH_TYPE.MULTI ? no('AT91Bootstrap', 'it copies the whole data, size table first, and enters at ih_ep: a multi-file image does not run')
        : type === IH_TYPE.KERNEL_NOLOAD ? no('AT91Bootstrap', 'it enters at ih_ep as an address; kernel_noload stores an offset there')
          : yes('AT91Bootstrap', 'uImage', 'copies ih_size bytes to ih_load, enters at ih_ep'));
  }
  return out;
}

function zimageVerdicts(node: InspectNode): LoaderVerdict[] {
  const z = node.value as ZImageArm;
  if (z.endianness === 'big') {
    return [no('U-Boot', 'bootz checks the magic little-endian'), yes('kexec-tools', 'zImage', 'on a big-endian ARM kernel'),
      no('AT91Bootstrap', 'it checks the magic little-endian')];
  }
  return [yes('U-Boot', 'bootz', z.appendedDtb ? 'the appended DTB is used instead of the one bootz passes' : undefined),
    yes('kexec-tools', 'zImage', z.appendedDtb ? 'loads end - start bytes: the appended DTB is dropped (pass --dtb)' : undefined),
    yes('AT91Bootstrap', 'zImage', 'copies end - start bytes')];
}

function imageVerdicts(node: InspectNode): LoaderVerdict[] {
  return node.format === 'image-arm64'
    ? [yes('U-Boot', 'booti'), yes('kexec-tools', 'Image')]
    : [yes('U-Boot', 'booti'), no('kexec-tools', 'kexec-tools 2.0.25 has no RISC-V support (it came in 2.0.27, ELF only)')];
}

function bzImageVerdicts(node: InspectNode): LoaderVerdict[] {
  const b = node.value as BzImage;
  const modern = b.protocol.raw >= 0x203;
  return [yes('U-Boot', 'zboot', 'a U-Boot built for x86'),
    modern ? yes('kexec-tools', node.arch === 'x86_64' ? 'bzImage64' : 'bzImage') : no('kexec-tools', `boot protocol ${b.protocol.major}.${b.protocol.minor} is older than 2.03`)];
}

function elfVerdicts(node: InspectNode): LoaderVerdict[] {
  return [yes('U-Boot', 'bootelf'),
    node.arch && KEXEC_ELF_ARCHS.has(node.arch) ? yes('kexec-tools', 'elf') : no('kexec-tools', `no ELF kernel loader for ${node.arch ?? 'this machine'}`)];
}

function streamVerdicts(node: InspectNode): LoaderVerdict[] {
  const c = node.format;
  const inner = kernelOf(node);
  if (!inner || inner === node) {
    const unknown = (loader: LoaderName, note: string): LoaderVerdict => ({ loader, accepts: null, note });
    return [
      unknown('U-Boot', UBOOT_DECOMPRESSORS.has(c) ? 'booti takes a compressed arm64/RISC-V Image (kernel_comp_addr_r, kernel_comp_size); --deep shows what it holds' : `U-Boot cannot decompress ${c}`),
      unknown('kexec-tools', KEXEC_DECOMPRESSORS.has(c) ? 'kexec-tools decompresses it first; --deep shows what it holds' : `kexec-tools cannot decompress ${c}`),
    ];
  }
  const out: LoaderVerdict[] = [];
  const booti = inner.format === 'image-arm64' || inner.format === 'image-riscv';
  out.push(booti && UBOOT_DECOMPRESSORS.has(c) ? yes('U-Boot', 'booti', 'set kernel_comp_addr_r and kernel_comp_size')
    : no('U-Boot', booti ? `booti cannot decompress ${c}` : `no command decompresses ${c} around ${inner.summary}: ship it uncompressed or in a uImage/FIT`));
  const kexecInner = judge(inner).find((v) => v.loader === 'kexec-tools');
  out.push(!KEXEC_DECOMPRESSORS.has(c) ? no('kexec-tools', `kexec-tools cannot decompress ${c}`)
    : kexecInner?.accepts ? yes('kexec-tools', `${kexecInner.how} (${c} compressed)`) : no('kexec-tools', kexecInner?.note ?? `no loader for ${inner.summary}`));
  if (inner.arch === 'arm') out.push(no('AT91Bootstrap', 'it loads no compressed files'));
  return out;
}

/** Verdicts by top-level format; formats without a row (DTB, cpio, data) are not booted on their own. */
export const LOADER_JUDGES: Readonly<Record<string, Judge>> = {
  'uimage': uimageVerdicts,
  'zimage-arm': zimageVerdicts,
  'image-arm64': imageVerdicts,
  'image-riscv': imageVerdicts,
  'bzimage': bzImageVerdicts,
  'elf': elfVerdicts,
};

function judge(node: InspectNode): LoaderVerdict[] {
  if (COMPRESSION_FORMATS.has(node.format)) return streamVerdicts(node);
  return LOADER_JUDGES[node.format]?.(node) ?? [];
}

const REFUSAL: Record<LoaderName, { rule: RuleId; hint: string }> = {
  'U-Boot': { rule: 'no-uboot-command', hint: 'give U-Boot a format it boots: a uImage (uimg create), a zImage for bootz, an Image for booti' },
  'kexec-tools': { rule: 'kexec-refuses', hint: 'kexec-tools takes a zImage, Image, bzImage, ELF vmlinux, or a Linux kernel uImage (none/gzip)' },
  'AT91Bootstrap': { rule: 'at91bootstrap-refuses', hint: 'AT91Bootstrap takes an uncompressed uImage or a zImage' },
};

/** The verdicts for a file, with a finding on the root for each loader that refuses it. */
export function loaderVerdicts(root: InspectNode): LoaderVerdict[] {
  const verdicts = judge(root);
  for (const v of verdicts) {
    if (v.accepts === false) root.findings.push(finding(REFUSAL[v.loader].rule, `${v.loader}: ${v.note}`, REFUSAL[v.loader].hint));
  }
  return verdicts;
}
