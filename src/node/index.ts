export { fileSource, atomicFileSink, type FileSource, type AtomicFileSink, type AtomicSinkOptions } from './file.js';
export { parseSourceDateEpoch, creationTime, localTimeZone, type EpochParse } from './env.js';
export { readLayoutFile, layoutImagePath, LAYOUT_FILE_LIMIT } from './layout.js';
export { cpioSpecsFromDirectory, hostFileOpener, extractCpio, type ExtractResult } from './cpio.js';
