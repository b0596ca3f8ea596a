/** The one CRC-32 of the library: native where the runtime has it, portable elsewhere (see package.json "imports"). */
export { crc32 } from '#crc32';
