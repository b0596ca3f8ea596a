/**
 * ROM images for `uimg inspect`: SH romImages (uimg's or Linux's, recognised by their code: the script commands, the
 * SH-4A tail, the copy code) with their script, boot-parameter page and payload; and uimg's ARM/AArch64 ROM stubs
 * with their copy table, the kernel and the DTB they carry.
 */
import { readClamped, type ByteSource } from '../../bytes/source.js';
import { UimgError, hex32 } from '../../errors.js';
import { finding, type Finding } from '../../findings.js';
import { FDT_HEADER_SIZE, decodeFdtHeader, isFdt } from '../fdt/header.js';
import type { Decoded, FormatModule, Part } from '../types.js';
import { decodeArmRom, type ArmRomArch, type ArmRomDecoded } from './arm-rom.js';
import { formatCommand } from './script.js';
import { decodeShSetup, looksLikeShRomImage } from './sh-decode.js';
import { decodeZeroPage, type DecodedZeroPage } from './zero-page.js';

/** The setup code a romImage may carry before its copy code: thousands of script commands. */
const SETUP_READ_LIMIT = 256 << 10;

export interface ShRomImageValue {
  kind: 'sh';
  endian: 'little' | 'big';
  /** The register-write script, as `uimg romimage script` writes it. */
  script: { offset: number; command: string }[];
  /** SH-4A boards: the icbi tail after the script. */
  icbiAddress?: number;
  copyCode: number;
  pageSize: number;
  /** Where the page is copied to: the kernel's `_text`. */
  kernelText: number;
  pageOffset: number;
  bootParams: DecodedZeroPage;
  payloadOffset: number;
}

export type ArmRomImageValue = { kind: ArmRomArch } & Omit<ArmRomDecoded, 'arch'>;

export type RomImageValue = ShRomImageValue | ArmRomImageValue;

async function decodeSh(src: ByteSource): Promise<Decoded<ShRomImageValue> | undefined> {
  const head = await readClamped(src, 0, SETUP_READ_LIMIT);
  const setup = decodeShSetup(head);
  if (!setup) return undefined;
  const { copyCode, pageOffset, endian } = setup;
  const findings: Finding[] = [];
  const page = await readClamped(src, pageOffset, copyCode.pageSize);
  const payloadOffset = pageOffset + copyCode.pageSize;
  if (page.length < copyCode.pageSize) {
    findings.push(finding('truncated', `the boot-parameter page at ${hex32(pageOffset)} runs past the end of the file`, 'the ROM is cut short', pageOffset));
  }
  const padded = new Uint8Array(copyCode.pageSize);
  padded.set(page);
  const bootParams = decodeZeroPage(padded, endian);
  if (bootParams.addressMode === undefined || bootParams.strayBytes > 0 || bootParams.commandLineUnterminated) {
    findings.push(finding('romimage-page',
      bootParams.addressMode === undefined ? `the page has no "SE?" marker (found ${hex32(bootParams.marker)} at +0x18)`
        : bootParams.strayBytes > 0 ? `${bootParams.strayBytes} non-zero bytes lie outside the page's fields and command line`
          : 'the command line has no terminating NUL within 512 bytes',
      'the page should be a kernel\'s .empty_zero_page, or one uimg romimage sh built', pageOffset));
  }
  let at = 0;
  const script = setup.commands.map((c) => {
    const line = { offset: at, command: formatCommand(c) };
    at += c.op === 'DD' ? 12 : 20; // every command starts 4-aligned in a romImage
    return line;
  });
  const parts: Part[] = src.size > payloadOffset ? [{ name: 'payload', offset: payloadOffset, length: src.size - payloadOffset }] : [];
  if (parts.length === 0) findings.push(finding('truncated', 'nothing follows the boot-parameter page: the payload is missing', 'the ROM is cut short', payloadOffset));
  const mode = bootParams.addressMode ? `, ${bootParams.addressMode}-bit` : '';
  return {
    format: 'romimage',
    value: {
      kind: 'sh', endian, script, ...(setup.icbiAddress !== undefined ? { icbiAddress: setup.icbiAddress } : {}),
      copyCode: copyCode.offset, pageSize: copyCode.pageSize, kernelText: copyCode.kernelText, pageOffset, bootParams, payloadOffset,
    },
    findings,
    parts,
    summary: `SH romImage, ${endian}-endian, ${script.length} script commands${setup.icbiAddress !== undefined ? ' + SH-4A cache tail' : ''}, `
      + `${copyCode.pageSize / 1024} KiB boot-parameter page to ${hex32(copyCode.kernelText)}${mode}, command line ${JSON.stringify(bootParams.commandLine)}`,
    arch: 'sh',
  };
}

/**
 * The stub copies whole granules, so the DTB's copy may end with padding the ROM layout adds: the DTB itself is its
 * totalsize, when that lies within the copy (a larger or missing one is the FDT decoder's to report).
 */
async function dtbLength(src: ByteSource, offset: number, copied: number): Promise<number> {
  const head = await readClamped(src, offset, Math.min(copied, FDT_HEADER_SIZE));
  if (head.length < FDT_HEADER_SIZE || !isFdt(head)) return copied;
  const { totalSize } = decodeFdtHeader(head);
  return totalSize <= copied ? totalSize : copied;
}

async function decodeArm(src: ByteSource): Promise<Decoded<ArmRomImageValue> | undefined> {
  const rom = decodeArmRom(await readClamped(src, 0, 1024));
  if (!rom) return undefined;
  const { arch, ...fields } = rom;
  const findings: Finding[] = [];
  const parts: Part[] = [];
  for (const [i, c] of rom.copies.entries()) {
    if (c.romOffset + c.length > src.size) {
      findings.push(finding('truncated', `copy ${i} (${c.length} bytes at ${hex32(c.romOffset)}) runs past the end of the file`, 'the ROM is cut short', c.romOffset));
    }
    const isDtb = rom.dtbAddress !== 0 && c.address === rom.dtbAddress && c.address !== rom.entry;
    const kernelFormat = rom.arch === 'arm' ? 'zimage-arm' : 'image-arm64';
    const length = Math.max(0, Math.min(c.length, src.size - c.romOffset));
    parts.push({ name: isDtb ? 'DTB' : 'kernel', offset: c.romOffset, length: isDtb ? await dtbLength(src, c.romOffset, length) : length, format: isDtb ? 'fdt' : kernelFormat });
  }
  const regs = rom.arch === 'arm' ? `r1=${hex32(rom.machineId!)} r2=${hex32(rom.dtbAddress)}` : `x0=${hex32(rom.dtbAddress)}`;
  const embedded = parts.some((p) => p.name === 'DTB');
  return {
    format: 'romimage',
    value: { kind: arch, ...fields },
    findings,
    parts,
    summary: `uimg ${rom.arch === 'arm' ? 'ARM' : 'AArch64'} ROM image: stub copies ${parts.length} blob${parts.length === 1 ? '' : 's'}, `
      + `enters ${hex32(rom.entry)} with ${regs}${embedded ? ' (DTB in ROM)' : ''}`,
    arch: rom.arch,
  };
}

export const romImageFormat: FormatModule<RomImageValue> = {
  id: 'romimage',
  name: 'ROM image (SH romImage, uimg ARM/AArch64 ROM stub)',
  // uimg's A32 stub starts with mrc p15 (SCTLR), its A64 stub with msr daifset. An SH romImage has no signature for
  // --scan: every script command is a valid start, so each suffix of a script would be reported; it sits at the
  // reset vector (offset 0 of a flash dump), where inspect finds it by probing.
  signatures: [{ bytes: [0x10, 0x0f, 0x11, 0xee], at: 0 }, { bytes: [0xdf, 0x4f, 0x03, 0xd5], at: 0 }],
  hexFields: ['offset', 'icbiAddress', 'copyCode', 'pageSize', 'kernelText', 'pageOffset', 'marker', 'rootDevice', 'initrdStart', 'initrdSize',
    'payloadOffset', 'stubSize', 'machineId', 'dtbAddress', 'entry', 'romOffset', 'address', 'length'],
  probe: (head) => looksLikeShRomImage(head) || decodeArmRom(head) !== undefined,
  async decode(src) {
    const decoded = (await decodeSh(src)) ?? (await decodeArm(src));
    if (decoded) return decoded;
    // The probe saw script commands, but no copy code follows them (other board code, or a setup past the limit).
    throw new UimgError('MALFORMED', `SH romImage script commands, but no romImage copy code within the first ${SETUP_READ_LIMIT} bytes`,
      { field: 'setup' }, 'a romImage whose board code is not a partner-jet script (e.g. the MMCIF loader) is not read');
  },
};
