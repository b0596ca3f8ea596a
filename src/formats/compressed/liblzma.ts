/**
 * xz and lzma-alone decoding with liblzma, the reference implementation (all BCJ filters, which kernels use),
 * compiled to WebAssembly by node-liblzma (its browser-safe `node-liblzma/wasm` entry; not the native addon).
 */
import {
  LZMA_BUF_ERROR, LZMA_DATA_ERROR, LZMA_FINISH, LZMA_FORMAT_ERROR, LZMA_MEMLIMIT_ERROR, LZMA_MEM_ERROR, LZMA_OK,
  LZMA_OPTIONS_ERROR, LZMA_RUN, LZMA_STREAM_END, WasmLzmaStream, autoDecoderInit, code, end, initModule,
  type LZMAModule,
} from 'node-liblzma/wasm';
import { UimgError } from '../../errors.js';
import { corruptStream, truncatedStream } from './limits.js';
import type { DecodeSteps } from './types.js';

/** Room for the 64 MiB dictionary of `lzma -9` plus the decoder state; the WebAssembly heap tops out at 256 MiB. */
const MEMLIMIT = 160 << 20;
const IN_CHUNK = 1 << 20;
const OUT_CHUNK = 1 << 20;

let loading: Promise<LZMAModule> | undefined;

async function loadModule(): Promise<LZMAModule> {
  loading ??= initModule().catch((e: unknown) => {
    loading = undefined;
    throw new UimgError('UNSUPPORTED_COMPRESSION', `xz/lzma decompression is unavailable: liblzma's WebAssembly module did not load (${e instanceof Error ? e.message : String(e)})`, { field: 'xz' }, "the bundle must ship node-liblzma's liblzma.wasm");
  });
  return loading;
}

function lzmaError(format: 'xz' | 'lzma', status: number, consumed: number, inputLength: number): UimgError {
  switch (status) {
    case LZMA_BUF_ERROR: return truncatedStream(format, inputLength);
    case LZMA_MEMLIMIT_ERROR:
    case LZMA_MEM_ERROR:
      return new UimgError('SIZE_LIMIT', `${format} stream needs more than ${MEMLIMIT} bytes of decoder memory (dictionary too large)`, { field: format, expected: MEMLIMIT });
    case LZMA_OPTIONS_ERROR: return new UimgError('UNSUPPORTED_COMPRESSION', `${format} stream uses options liblzma does not support`, { field: format, offset: consumed });
    case LZMA_FORMAT_ERROR: return corruptStream(format, 'not a valid header', 0);
    case LZMA_DATA_ERROR: return corruptStream(format, 'data is corrupt (or a checksum does not match)', consumed);
    default: return corruptStream(format, `liblzma status ${status}`, consumed);
  }
}

/**
 * Decode steps over liblzma: one stream (xz or lzma-alone, by its header); bytes after its end are left alone. Input
 * goes in through a 1 MiB window, so the WebAssembly heap holds the dictionary and two small buffers, whatever the
 * size of the input.
 */
export function liblzmaSteps(format: 'xz' | 'lzma'): () => Promise<DecodeSteps> {
  return async () => {
    const module = await loadModule();
    return function* (input, emit) {
      const stream = new WasmLzmaStream(module);
      const inPtr = module._malloc(IN_CHUNK);
      const outPtr = module._malloc(OUT_CHUNK);
      let fed = 0;
      try {
        if (!inPtr || !outPtr) throw new UimgError('SIZE_LIMIT', `${format} decoder could not allocate its buffers`, { field: format });
        autoDecoderInit(stream, MEMLIMIT);
        for (;;) {
          if (stream.availIn === 0 && fed < input.length) {
            const piece = input.subarray(fed, fed + IN_CHUNK);
            module.HEAPU8.set(piece, inPtr);
            stream.setInput(inPtr, piece.length);
            fed += piece.length;
          }
          stream.setOutput(outPtr, OUT_CHUNK);
          const status = code(stream, fed === input.length ? LZMA_FINISH : LZMA_RUN);
          const produced = OUT_CHUNK - stream.availOut;
          if (produced > 0) emit(module.HEAPU8.subarray(outPtr, outPtr + produced));
          if (status === LZMA_STREAM_END) return stream.totalIn;
          if (status !== LZMA_OK) throw lzmaError(format, status, stream.totalIn, input.length);
          yield;
        }
      } finally {
        end(stream);
        stream.free();
        module._free(inPtr);
        module._free(outPtr);
      }
    };
  };
}
