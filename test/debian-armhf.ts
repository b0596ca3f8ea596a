/**
 * Debian 12 armhf userland for the kexec end-to-end test: static busybox and kexec-tools with the shared libraries
 * it needs, fetched with a private APT configuration (armhf indexes in a scratch folder; the system's dpkg setup is
 * never touched) and unpacked under $UIMG_TEST_CACHE/armhf-root. Where apt cannot fetch, callers get a skip reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEST_CACHE } from './debian-files.js';
import { hasTool } from './helpers.js';

/**
 * kexec-tools and the packages holding its NEEDED closure (Debian builds it with Xen support, hence libxenctrl and
 * friends), plus busybox-static.
 */
const PACKAGES = [
  'busybox-static', 'kexec-tools', 'libc6', 'libxenmisc4.17', 'libxencall1', 'libxendevicemodel1', 'libxenevtchn1',
  'libxenforeignmemory1', 'libxengnttab1', 'libxentoolcore1', 'libxentoollog1',
];
const ROOT = join(TEST_CACHE, 'armhf-root');
const LIB_DIRS = ['lib/arm-linux-gnueabihf', 'usr/lib/arm-linux-gnueabihf'];

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(cmd, args, { ...opts, timeout: 300_000, encoding: 'utf8' });
}

/** The unpacked armhf root, fetching it on first use; or `{ skip }`. */
export async function debianArmhfRoot(): Promise<string | { skip: string }> {
  if (existsSync(join(ROOT, 'sbin/kexec'))) return ROOT;
  if (!hasTool('apt-get') || !hasTool('dpkg-deb')) return { skip: 'apt-get/dpkg-deb not available' };
  await mkdir(TEST_CACHE, { recursive: true });
  const work = await mkdtemp(join(TEST_CACHE, 'armhf-'));
  try {
    for (const d of ['state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/preferences.d', 'debs', 'root']) {
      await mkdir(join(work, d), { recursive: true });
    }
    await writeFile(join(work, 'state/status'), '');
    await writeFile(join(work, 'etc/sources.list'),
      'deb [arch=armhf signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n');
    await writeFile(join(work, 'apt.conf'), [
      `Dir::State "${work}/state";`, `Dir::State::status "${work}/state/status";`, `Dir::Cache "${work}/cache";`,
      `Dir::Etc::SourceList "${work}/etc/sources.list";`, `Dir::Etc::SourceParts "${work}/etc/sources.list.d";`,
      `Dir::Etc::Preferences "${work}/etc/preferences";`, `Dir::Etc::PreferencesParts "${work}/etc/preferences.d";`,
      'APT::Architectures { "armhf"; };', 'APT::Architecture "armhf";', '',
    ].join('\n'));
    const env = { ...process.env, APT_CONFIG: join(work, 'apt.conf') };
    const update = run('apt-get', ['update', '-q'], { env });
    if (update.status !== 0) return { skip: `apt-get update (armhf) failed: ${update.stderr.trim().split('\n').pop()}` };
    const dl = run('apt-get', ['download', '-q', ...PACKAGES.map((p) => `${p}:armhf`)], { cwd: join(work, 'debs'), env });
    if (dl.status !== 0) return { skip: `apt-get download (armhf) failed: ${dl.stderr.trim().split('\n').pop()}` };
    for (const deb of await readdir(join(work, 'debs'))) {
      const x = run('dpkg-deb', ['-x', join(work, 'debs', deb), join(work, 'root')]);
      if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: ${x.stderr}`);
    }
    await rm(ROOT, { recursive: true, force: true });
    await rename(join(work, 'root'), ROOT);
    return ROOT;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The shared libraries a program needs, transitively (readelf NEEDED), as paths relative to `root`. */
export function neededLibraries(root: string, program: string): { name: string; path: string }[] | { missing: string } {
  const found = new Map<string, string>();
  const todo = [join(root, program)];
  while (todo.length) {
    const file = todo.pop()!;
    const out = run('arm-none-eabi-readelf', ['-d', file]).stdout;
    for (const m of out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
      const name = m[1]!;
      if (found.has(name)) continue;
      const dir = LIB_DIRS.find((d) => existsSync(join(root, d, name)));
      if (!dir) return { missing: name };
      found.set(name, join(dir, name));
      todo.push(join(root, dir, name));
    }
  }
  return [...found].map(([name, path]) => ({ name, path }));
}
