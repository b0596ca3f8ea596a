/**
 * Real Debian 12 boot files for tests, fetched once with `apt-get download` and cached (gitignored `.cache/`, or
 * $UIMG_TEST_CACHE to share one cache between clones). The arch-independent debian-installer-12-netboot-<arch>
 * packages carry the kernels, so no foreign dpkg architecture is needed. Where apt cannot fetch, callers get a skip
 * reason to print, never a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, hasTool } from './helpers.js';

export const TEST_CACHE = process.env.UIMG_TEST_CACHE ?? join(ROOT, '.cache');

export type NetbootArch = 'armhf' | 'arm64' | 'amd64';

/** What we keep from each package: cache name → path inside its data tarball. */
const MEMBERS: Record<NetbootArch, Record<string, string>> = {
  armhf: {
    'debian12-armmp-vmlinuz': 'armhf/vmlinuz',
    'debian12-armhf-vexpress-v2p-ca9.dtb': 'armhf/dtbs/vexpress-v2p-ca9.dtb',
  },
  arm64: { 'debian12-arm64-Image': 'arm64/linux' },
  amd64: { 'debian12-amd64-bzImage': 'amd64/linux' },
};

export type NetbootFile = { [A in NetbootArch]: keyof (typeof MEMBERS)[A] }[NetbootArch];

/** Path of a cached Debian file, fetching its package on first use; or `{ skip }` with the reason it cannot be had. */
export async function debianFile(arch: NetbootArch, name: string): Promise<string | { skip: string }> {
  const members = MEMBERS[arch];
  if (!(name in members)) throw new Error(`debianFile: ${name} is not kept from the ${arch} package`);
  const cached = join(TEST_CACHE, name);
  if (existsSync(cached)) return cached;

  if (!hasTool('apt-get') || !hasTool('dpkg-deb')) return { skip: 'apt-get/dpkg-deb not available to fetch Debian files' };
  const pkg = `debian-installer-12-netboot-${arch}`;
  await mkdir(TEST_CACHE, { recursive: true });
  const work = await mkdtemp(join(TEST_CACHE, 'dl-'));
  try {
    const dl = spawnSync('apt-get', ['download', '-q', pkg], { cwd: work, timeout: 300_000 });
    const deb = (await readdir(work)).find((f) => f.endsWith('.deb'));
    if (dl.status !== 0 || !deb) return { skip: `apt-get download ${pkg} failed (offline, or no apt lists?): ${dl.stderr?.toString().trim()}` };
    // The data tarball is 30-130 MB: go through a file, not memory, and keep only the members we use.
    const tar = join(work, 'data.tar');
    must(spawnSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" > "$2"', 'sh', join(work, deb), tar]), 'dpkg-deb');
    for (const [cacheName, member] of Object.entries(members)) {
      const tmp = join(work, cacheName);
      must(spawnSync('sh', ['-c', 'tar -xOf "$1" "$2" > "$3"', 'sh', tar, `./usr/lib/debian-installer/images/12/${arch}/text/debian-installer/${member}`, tmp]), `tar (${member})`);
      await rename(tmp, join(TEST_CACHE, cacheName)); // atomic: a concurrent run never sees half a file
    }
    return cached;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function must(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr?.toString().trim()}`);
}

/** The Debian 12 armhf armmp kernel: an xz-compressed ARM zImage, 5.4 MB. */
export const debianArmmpZImage = () => debianFile('armhf', 'debian12-armmp-vmlinuz');
/** The Debian 12 arm64 kernel: an uncompressed, EFI-signed arm64 Image, 33 MB. */
export const debianArm64Image = () => debianFile('arm64', 'debian12-arm64-Image');
/** The Debian 12 amd64 kernel: a bzImage with an xz payload, 8.2 MB. */
export const debianAmd64BzImage = () => debianFile('amd64', 'debian12-amd64-bzImage');
/** The vexpress-v2p-ca9 DTB shipped beside the armhf kernel. */
export const debianVexpressDtb = () => debianFile('armhf', 'debian12-armhf-vexpress-v2p-ca9.dtb');
