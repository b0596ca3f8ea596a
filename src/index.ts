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
export * from './layout/model.js';
export { parseLayout } from './layout/parse.js';
export { parseByteCount, hex, humanSize } from './layout/numbers.js';
export {
  encodeEnvImage, decodeEnvImage, envTextToData, envVarsToData, envHeaderSize, ENV_REDUNDANT_FLAGS, ENV_SIZE_LIMIT,
  type EnvImageOptions, type DecodedEnv,
} from './formats/uboot-env/env.js';
