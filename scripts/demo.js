#!/usr/bin/env node
// npm run demo: make, verify, inspect and list a uImage from the bundled sample with uimg, write the header a
// first-stage loader would be built with, then show the drop-in mkimage producing the very same bytes (and U-Boot's
// own mkimage too, when it is installed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sample = join(root, 'fixtures/samples/hello-arm.bin');
const work = mkdtempSync(join(tmpdir(), 'uimg-demo-'));
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000', TZ: 'UTC' };
const show = (title, cmd, args) => {
  console.log(`\n$ ${title}`);
  const r = spawnSync(cmd, args, { cwd: work, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${title} exited ${r.status}`);
};
const node = (bin, args) => [process.execPath, [join(root, 'bin', bin), ...args]];
try {
  const args = ['--arch', 'arm', '--os', 'linux', '--type', 'kernel', '--compression', 'none',
    '--load', '0x40100000', '--entry', '0x40100000', '--name', 'hello-uimage'];
  show(`uimg create ${sample} -o hello.uimg ${args.join(' ')}`, ...node('uimg.js', ['create', sample, '-o', 'hello.uimg', ...args]));
  show('uimg verify hello.uimg', ...node('uimg.js', ['verify', 'hello.uimg']));
  show('uimg inspect hello.uimg', ...node('uimg.js', ['inspect', 'hello.uimg']));
  show('uimg loader c-header --kernel hello.uimg --img-address 0x80000 -o -', ...node('uimg.js', ['loader', 'c-header', '--kernel', 'hello.uimg', '--img-address', '0x80000', '-o', '-']));
  show('uimg list hello.uimg --format mkimage', ...node('uimg.js', ['list', 'hello.uimg', '--format', 'mkimage']));
  const mk = ['-A', 'arm', '-O', 'linux', '-T', 'kernel', '-C', 'none', '-a', '0x40100000', '-e', '0x40100000', '-n', 'hello-uimage', '-d', sample];
  show(`mkimage ${mk.join(' ')} drop-in.uimg   (uimg's drop-in mkimage)`, ...node('mkimage.js', [...mk, 'drop-in.uimg']));
  const same = (a, b) => Buffer.compare(readFileSync(join(work, a)), readFileSync(join(work, b))) === 0;
  console.log(`\nuimg create and the drop-in mkimage wrote identical bytes: ${same('hello.uimg', 'drop-in.uimg') ? 'yes' : 'NO'}`);
  if (spawnSync('mkimage', ['-V']).status === 0) {
    spawnSync('mkimage', [...mk, 'u-boot.uimg'], { cwd: work, env });
    console.log(`U-Boot's own mkimage wrote identical bytes too: ${same('hello.uimg', 'u-boot.uimg') ? 'yes' : 'NO'}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
