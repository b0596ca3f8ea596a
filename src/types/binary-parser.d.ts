// binary-parser's "exports" map has no "types" condition; its typings sit beside the CommonJS build.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
