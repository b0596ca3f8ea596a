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
export { FORMATS, probeFormat, type FormatModule } from './formats/registry.js';
export { parseCpioList, formatCpioList, expandLocation, type CpioSpec, type FileSpec } from './formats/cpio/list.js';
export { writeCpio, type CpioWriteOptions, type FileOpener, type OpenedFile, type WrittenCpio } from './formats/cpio/write.js';
export { readCpio, walkInitramfs, type CpioEntry, type CpioListing, type CpioVisitor } from './formats/cpio/read.js';
export { gzipSink, gunzip } from './bytes/gzip.js';
export { kexecInit, kexecCpioSpecs, kexecbootConfig, petitbootConfig, type KexecKit, type BootEntry } from './kexec/kit.js';
export { kernelConfigFragment, kernelConfigSettings, type KernelConfigOptions } from './kexec/kconfig.js';
export { planKexec, type KexecPlan, type PlanInput } from './kexec/plan.js';
export { checkSegments, type Segment } from './kexec/segments.js';
