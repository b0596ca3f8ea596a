#!/usr/bin/env node
/**
 * What `uimg inspect --deep` does with a kernel, through the library: find the compressed payload, decompress it
 * (limits as the CLI sets them) and read the version banner, which it prints. Used by bench/run.js.
 *
 *   node bench/decompress-kernel.js KERNEL
 */
import { readFileSync } from 'node:fs';
import { decompress, findLinuxBanner, findPayloads } from '../dist/index.js';

const bytes = new Uint8Array(readFileSync(process.argv[2]));
const [payload] = findPayloads(bytes, { maxCandidates: 1 });
if (!payload) throw new Error('no compressed payload found');
const { data } = await decompress(payload.format, bytes.subarray(payload.offset), {
  maxOutputBytes: 512 << 20, signal: AbortSignal.timeout(120_000),
});
console.log(findLinuxBanner(data) ?? `(no banner in ${data.length} bytes)`);
