// seek-bzip ships no typings; this is the part of its API uimg uses (lib/index.js, lib/stream.js).
declare module 'seek-bzip' {
  interface InputStream {
    readByte(): number;
    seek(pos: number): void;
    eof(): boolean;
    read(buffer: Uint8Array, offset: number, length: number): number;
  }
  interface OutputStream {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    decode(input: InputStream | Uint8Array, output?: OutputStream | Uint8Array | number, multistream?: boolean): Uint8Array | undefined;
  };
  export default Bunzip;
}
