/** CRC-16/XMODEM (U-Boot's crc16-ccitt: poly 0x1021, init 0, not reflected, no final xor; "123456789" → 0x31c3). */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16Ccitt(data: Uint8Array, previous = 0): number {
  let c = previous & 0xffff;
  for (let i = 0; i < data.length; i++) c = ((c << 8) & 0xffff) ^ TABLE[((c >> 8) ^ data[i]!) & 0xff]!;
  return c;
}
