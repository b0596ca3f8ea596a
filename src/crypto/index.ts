/** The crypto backend for this runtime, chosen by the package "imports" map (`#crypto`), as `#crc32` is. */
export { backend } from '#crypto';
export * from './types.js';
