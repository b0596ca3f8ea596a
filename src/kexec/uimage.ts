/**
 * Which uImages kexec-tools 2.0.25 loads (kexec/kexec-uImage.c and the per-architecture uImage probes): the one
 * statement of its rules, which `kexec plan`, inspect's loader verdicts and the layout checker apply.
 */
import { ARCH, COMP, IH_ARCH, IH_COMP, IH_OS, IH_TYPE, OS, TYPE, longNameForId, shortNameForId } from '../formats/uimage/tables.js';

/** Compressions it undoes in a uImage: gzip in builds with zlib (Debian's); ramdisks stay compressed. */
export const KEXEC_UIMAGE_COMPRESSIONS: readonly string[] = ['none', 'gzip'];
/** Architectures with a uImage probe. */
const KEXEC_UIMAGE_ARCHS: ReadonlySet<number> = new Set([IH_ARCH.ARM, IH_ARCH.ARM64, IH_ARCH.SH, IH_ARCH.PPC]);

/** Why kexec-tools refuses a uImage with this header, or undefined when it loads it. */
export function kexecUImageRefusal(h: { type: number; os: number; arch: number; comp: number }): string | undefined {
  if (h.type !== IH_TYPE.KERNEL && h.type !== IH_TYPE.KERNEL_NOLOAD) return `type ${shortNameForId(TYPE, h.type) ?? h.type} (kernel or kernel_noload only)`;
  if (h.os !== IH_OS.LINUX) return `OS ${longNameForId(OS, h.os)} (Linux only)`;
  if (!KEXEC_UIMAGE_ARCHS.has(h.arch)) return `no uImage loader for ${longNameForId(ARCH, h.arch)}`;
  if (h.comp !== IH_COMP.NONE && h.comp !== IH_COMP.GZIP) return `${shortNameForId(COMP, h.comp) ?? `compression ${h.comp}`} compression (none or gzip only)`;
  return undefined;
}
