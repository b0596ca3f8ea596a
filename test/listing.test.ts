import { describe, expect, it } from 'vitest';
import { formatCtime, formatSizeLine, resolveTimeZone } from '../src/index.js';

describe('size line', () => {
  // Observed on U-Boot 2023.01 (reference/mkimage-compat.md §3.2): glibc %.2f rounds ties to even.
  it.each([
    [0, '0 Bytes = 0.00 KiB = 0.00 MiB'], [5, '5 Bytes = 0.00 KiB = 0.00 MiB'], [6, '6 Bytes = 0.01 KiB = 0.00 MiB'],
    [128, '128 Bytes = 0.12 KiB = 0.00 MiB'], [384, '384 Bytes = 0.38 KiB = 0.00 MiB'], [640, '640 Bytes = 0.62 KiB = 0.00 MiB'],
    [1023, '1023 Bytes = 1.00 KiB = 0.00 MiB'], [1536, '1536 Bytes = 1.50 KiB = 0.00 MiB'], [3000, '3000 Bytes = 2.93 KiB = 0.00 MiB'],
    [131072, '131072 Bytes = 128.00 KiB = 0.12 MiB'], [393216, '393216 Bytes = 384.00 KiB = 0.38 MiB'],
    [655360, '655360 Bytes = 640.00 KiB = 0.62 MiB'], [1048575, '1048575 Bytes = 1024.00 KiB = 1.00 MiB'],
    [5242880, '5242880 Bytes = 5120.00 KiB = 5.00 MiB'], [2147483647, '2147483647 Bytes = 2097152.00 KiB = 2048.00 MiB'],
    [2147483648, '-2147483648 Bytes = 2097152.00 KiB = 2048.00 MiB'], [4294967295, '-1 Bytes = 4194304.00 KiB = 4096.00 MiB'],
  ])('%d', (size, line) => expect(formatSizeLine(size)).toBe(line));
});

describe('Created: line (ctime in the caller\'s zone)', () => {
  // Observed on U-Boot 2023.01 (reference §3.3), glibc's TZ handling.
  it.each([
    [0, 'UTC', 'Thu Jan  1 00:00:00 1970'], [0, 'America/New_York', 'Wed Dec 31 19:00:00 1969'],
    [0, 'Asia/Kolkata', 'Thu Jan  1 05:30:00 1970'], [0, 'Europe/Berlin', 'Thu Jan  1 01:00:00 1970'],
    [1700000000, '', 'Tue Nov 14 22:13:20 2023'], [1700000000, 'Foo/Bar', 'Tue Nov 14 22:13:20 2023'],
    [1700000000, 'EST5EDT', 'Tue Nov 14 17:13:20 2023'], [1700000000, 'UTC+3', 'Tue Nov 14 19:13:20 2023'],
    [1700000000, '<+0530>-5:30', 'Wed Nov 15 03:43:20 2023'], [1700000000, ':Europe/Paris', 'Tue Nov 14 23:13:20 2023'],
    [0xffffffff, 'UTC', 'Sun Feb  7 06:28:15 2106'], [0x80000000, 'UTC', 'Tue Jan 19 03:14:08 2038'],
    // POSIX rules with DST: summer and winter sides of the change.
    [1690000000, 'CET-1CEST,M3.5.0,M10.5.0/3', 'Sat Jul 22 06:26:40 2023'],
    [1700000000, 'CET-1CEST,M3.5.0,M10.5.0/3', 'Tue Nov 14 23:13:20 2023'],
    [1690000000, 'AEST-10AEDT,M10.1.0,M4.1.0/3', 'Sat Jul 22 14:26:40 2023'],
    [1700000000, 'AEST-10AEDT,M10.1.0,M4.1.0/3', 'Wed Nov 15 09:13:20 2023'],
  ])('%d in TZ=%j', (t, tz, text) => expect(formatCtime(t, resolveTimeZone(tz))).toBe(text));

  it('uses the system zone when TZ is unset', () => {
    expect(formatCtime(0, resolveTimeZone(undefined, 'Asia/Tokyo'))).toBe('Thu Jan  1 09:00:00 1970');
  });
});
