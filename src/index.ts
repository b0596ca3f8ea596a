/** uimg: the pure, browser-safe library. Node file helpers are in 'uimg/node'. */
export { UimgError, isUimgError, ErrorCodes, type ErrorCode, type ErrorData } from './errors.js';
export { fromBytes, memorySink, concatBytes, type ByteSource, type ByteSink } from './bytes/source.js';
export { crc32 } from './bytes/crc32.js';
export { resolveTimeZone, formatCtime, UTC, type TimeZone } from './time/tz.js';
export * from './formats/uimage/tables.js';
export {
  HEADER_SIZE, UIMAGE_MAGIC, decodeHeader, encodeHeader, checkHeader, headerCrcOf, nameField, nameOf, nameBytesOf,
  type UImageHeader, type HeaderFields,
} from './formats/uimage/header.js';
export {
  writeImage, buildImage, readImage, verifyImage, problemsOf, partRange, payloadRange, isMultiLayout, checkPart,
  type ImageSpec, type ImageReport, type WrittenImage,
} from './formats/uimage/image.js';
export { formatListing, formatListingBytes, formatSizeLine, imageTypeLine, type SubImage, type ListingOptions } from './formats/uimage/listing.js';
export { FORMATS, probeFormat, formatById } from './formats/registry.js';
export { PROBE_BYTES, type FormatModule, type Decoded, type DecodeOptions, type Part } from './formats/types.js';
export {
  findPayloads, decompress, findLinuxBanner, extractIkconfig,
  type Compression, type PayloadCandidate, type DecompressLimits, type FindPayloadsOptions,
} from './formats/compressed/index.js';
export { RULES, finding, type Finding, type Rule, type RuleId, type Severity } from './findings.js';
export {
  readArmZImage, decodeArmZImageHeader, decodeKernelSizeRecord, isArmZImage, zImageArmFormat,
  type ZImageArm, type ZImageArmHeader, type ZImageKernelSize,
} from './formats/zimage-arm/zimage-arm.js';
export { armDecompression, type ArmDecompression, type AddressRange } from './formats/zimage-arm/decompressor.js';
export { decodeArm64Header, encodeArm64Header, isArm64Image, arm64ImageFormat, type Arm64Image, type Arm64ImageFlags } from './formats/image-arm64/image-arm64.js';
export { decodeRiscvHeader, encodeRiscvHeader, isRiscvImage, riscvImageFormat, type RiscvImage } from './formats/image-riscv/image-riscv.js';
export { decodeBzImageHeader, isBzImage, bzImageFormat, type BzImage } from './formats/bzimage/bzimage.js';
export {
  FDT_MAGIC, FDT_HEADER_SIZE, checkFdtHeader, decodeFdtHeader, encodeFdtHeader, isFdt, type FdtHeader, type FdtReservation,
} from './formats/fdt/header.js';
export { FDT_ERRORS, FdtError, isFdtError, type FdtErrorName } from './formats/fdt/error.js';
export {
  FDT_MAX_DEPTH, fdtNameMatches, fdtNodes, fdtString, fdtStrings, fdtValue, findFdtNode, findFdtProperty, parseFdt, readFdt,
  readFdtValue, walkFdt, walkFdtSource, type FdtIndex, type FdtNodeEntry, type FdtPropertyEntry, type FdtVisitor,
  type FdtWalk, type ReadFdtOptions,
} from './formats/fdt/reader.js';
export { checkFdtFull, checkFdtFullSource } from './formats/fdt/check.js';
export { FdtEditor, type EditorProperty, type NodeOffset } from './formats/fdt/editor.js';
export { FdtSequentialWriter, SEQUENTIAL_LAST_COMP_VERSION, type SequentialWriterOptions } from './formats/fdt/writer.js';
export { deviceTreeFromBlob, readDeviceTree } from './formats/fdt/unflatten.js';
export { emptyNode, type DeviceTree, type DtNode, type DtProperty, type DtReservation, type Marker, type MarkerType, type SourcePosition } from './formats/fdt/tree.js';
export { FDT_HEADER_ONLY_LIMIT, fdtFormat, isFitIndex, type FdtSummary } from './formats/fdt/format.js';
export { elfFormat, isElf, type Elf, type ElfSegment } from './formats/elf/elf.js';
export { inspect, DEFAULT_MAX_BYTES, type InspectOptions, type InspectNode, type InspectReport } from './inspect/inspect.js';
export { DEFAULT_BOOTM_LEN } from './inspect/rules.js';
export { type LoaderVerdict } from './inspect/loaders.js';
export { formatTree, reportJson as inspectJson, allFindings } from './inspect/present.js';
export { scan, formatScan, type ScanHit } from './inspect/scan.js';
export * from './layout/model.js';
export { parseLayout } from './layout/parse.js';
export { parseByteCount, hex, humanSize } from './numbers.js';
export {
  encodeEnvImage, decodeEnvImage, envTextToData, envVarsToData, envHeaderSize, ENV_REDUNDANT_FLAGS, ENV_SIZE_LIMIT,
  type EnvImageOptions, type DecodedEnv,
} from './formats/uboot-env/env.js';
export { parseCpioList, formatCpioList, expandLocation, type CpioSpec, type FileSpec } from './formats/cpio/list.js';
export { writeCpio, type CpioWriteOptions, type FileOpener, type OpenedFile, type WrittenCpio } from './formats/cpio/write.js';
export { readCpio, walkInitramfs, type CpioEntry, type CpioListing, type CpioVisitor } from './formats/cpio/read.js';
export { gzipSink, gunzip } from './formats/compressed/gzip.js';
export { kexecInit, kexecCpioSpecs, kexecbootConfig, petitbootConfig, type KexecKit, type BootEntry } from './kexec/kit.js';
export { kernelConfigFragment, kernelConfigSettings, type KernelConfigOptions } from './kexec/kconfig.js';
export { planKexec, type KexecPlan, type PlanInput } from './kexec/plan.js';
export { checkSegments, type Segment } from './kexec/segments.js';
export { Assembler, type Endian, type Fixup, type Isa } from './asm/assembler.js';
export { SH4, SH4_PCREL, sh4Assembler } from './asm/sh4.js';
export { A32, A32_PCREL, a32Assembler } from './asm/a32.js';
export { A64, A64_PCREL, a64Assembler } from './asm/a64.js';
export {
  parseScript, formatScript, formatCommand, scriptCommands, WRITE_WIDTH,
  type Script, type ScriptLine, type ScriptCommand, type ScriptNumber,
} from './formats/romimage/script.js';
export { formatRomimageHeader, formatSetupAsm, ROMIMAGE_MACROS } from './formats/romimage/script-asm.js';
export {
  encodeZeroPage, decodeZeroPage, DEFAULT_BOOT_PARAMS, PAGE_SIZES, COMMAND_LINE_SIZE,
  type BootParams, type DecodedZeroPage, type PageSize,
} from './formats/romimage/zero-page.js';
export {
  planShRomImage, writeShRomImage, kernelText, SH_BOARDS, SH_RESET_ADDRESS, DEFAULT_PAGE_OFFSET,
  type ShRomOptions, type ShRomPlan, type ShBoard, type ShPayload,
} from './formats/romimage/sh-romimage.js';
export { decodeShSetup, looksLikeShRomImage, type ShSetupDecoded } from './formats/romimage/sh-decode.js';
export {
  planArmRom, writeArmRom, decodeArmRom, assembleArmStub, kernelFacts, readKernelFacts, DEFAULT_DTB_RESERVE, DEFAULT_MACHINE_ID,
  type ArmRomArch, type ArmRomOptions, type ArmRomPlan, type ArmRomDecoded, type KernelFacts, type CopyEntry,
} from './formats/romimage/arm-rom.js';
export { formatRomLayout, type RomLayout, type RomRegion } from './formats/romimage/layout.js';
export { romImageFormat, type RomImageValue } from './formats/romimage/format.js';
export { parseShZImage, readShZImage, isShZImage, zImageShFormat, type ShZImage } from './formats/zimage-sh/zimage-sh.js';
export { buildFit, buildFitFromRope, type BuildFitOptions, type BuiltFit } from './formats/fit/build.js';
export { buildAutoFit, autoFitBasename, type AutoFitSpec, type AutoFitInput } from './formats/fit/auto.js';
export { parseFitSpec, fitSpecTree, type FitSpec, type FitImageSpec, type FitConfigSpec, type FitSignatureSpec } from './formats/fit/spec.js';
export { fitRegions, regionBytes, parseSignatureAlgo, EXCLUDED_PROPS, type Region, type SignatureAlgo } from './formats/fit/sign.js';
export { fitHash, FIT_HASH_ALGOS, type FitHashAlgo } from './formats/fit/hash.js';
export { writeRsaKeyNode, writeEcKeyNode, rsaKeyNumbers } from './formats/fit/keys.js';
export { FdtBlob, NoSpace } from './formats/fit/blob.js';
export { Rope, type Piece } from './formats/fit/rope.js';
export { type Note, type SigningOptions, type KeyFileReader } from './formats/fit/steps.js';
export { backend as cryptoBackend, type CryptoBackend, type DigestName, type SignatureParams, type PrivateKeyDer, type PublicKeyDer } from './crypto/index.js';
export { readPrivateKey, readPublicKey, parsePem, rsaNumbers, ecNumbers } from './crypto/keys.js';
export { crc16Ccitt } from './bytes/crc16.js';
