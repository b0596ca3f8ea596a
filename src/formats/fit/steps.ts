/**
 * What mkimage does to a FIT blob after it is compiled (fit_handle_file, fit.md §1.8 and §3.1): open it with
 * B + 1024·k bytes, set the root timestamp, hash every image, sign images and configurations, write public keys
 * into a key DTB; on ENOSPC start over with k + 1 (the key DTB keeps its partial edits and grows each time, as
 * mkimage's does). Messages are U-Boot's, in U-Boot's streams and order, returned as data for the caller to print.
 */
import { backend } from '../../crypto/index.js';
import { ecNumbers, readPrivateKey, readPublicKey, rsaNumbers } from '../../crypto/keys.js';
import { isUimgError } from '../../errors.js';
import { FdtBlob, NoSpace, cstring, nodeAt, propString, propStrings, stringList, subnode, u32, type NodeRef } from './blob.js';
import { hashRope } from './hash.js';
import { writeEcKeyNode, writeRsaKeyNode } from './keys.js';
import { MKIMAGE_CRYPTOS, fitRegions, parseSignatureAlgo, regionBytes, signatureParams } from './sign.js';
import type { Rope } from './rope.js';

export interface Note {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Reads a key or certificate file for the signer: its text, or the strerror() text of why it cannot be opened. */
export type KeyFileReader = (path: string) => Promise<{ text: string } | { error: string }>;

export interface SigningOptions {
  /** -k: directory of `<name>.key` / `.crt` (RSA) and `<name>.pem` (ECDSA). */
  keyDir?: string;
  /** -G: one private key file for every signature. */
  keyFile?: string;
  /** -c */
  comment?: string;
  /** -r */
  requireKeys?: boolean;
  /** -o: overrides every signature node's algo (and is written back into it). */
  algo?: string;
  readKeyFile: KeyFileReader;
  /** The signature nodes' timestamp (SOURCE_DATE_EPOCH or now). */
  time: number;
  /** Crypto names accepted (mkimage 2023.01's by default). */
  cryptos?: readonly string[];
}

export interface ProcessOptions {
  /** Set the root timestamp (always for -f; with -t for -F). */
  timestamp?: number;
  signing?: SigningOptions;
  /** The key DTB (-K), edited in place across retries. */
  keyDest?: FdtBlob;
}

export interface ProcessResult {
  /** 0 or mkimage's negative error code (`Can't add hashes to FIT blob: N`). */
  code: number;
  blob?: FdtBlob;
  notes: Note[];
  /** The last configuration signature written, and where its key went (summary_show). */
  summary?: { signaturePath: string; keyPath?: string };
}

const ENOENT = -2, ENOSPC = -28, EPROTONOSUPPORT = -93, EACCES = -13, EIO = -5, ENOMSG = -42, FDT_NOSPACE = -3;
const MAX_RETRIES = 64;

/** Run the retry loop over a packed blob (size B). */
export async function processFit(packed: FdtBlob, opts: ProcessOptions): Promise<ProcessResult> {
  const notes: Note[] = [];
  const cache = new Map<string, Uint8Array>();
  const keyDest = opts.keyDest;
  const keyBase = keyDest?.rope.length ?? 0;
  let keyGrowth = 0;
  for (let k = 0; k < MAX_RETRIES; k++) {
    const fit = packed.clone();
    fit.openInto(packed.h.totalSize + 1024 * k);
    if (keyDest && k > 0) {
      keyGrowth += 1024 * k;
      keyDest.openInto(keyBase + keyGrowth);
    }
    const run = new Attempt(fit, opts, notes, cache);
    const code = await run.go();
    if (code === ENOSPC) continue;
    return { code, blob: code === 0 ? fit : undefined, notes, summary: run.summary };
  }
  return { code: ENOSPC, notes };
}

class Attempt {
  summary?: { signaturePath: string; keyPath?: string };
  constructor(private fit: FdtBlob, private opts: ProcessOptions, private notes: Note[], private cache: Map<string, Uint8Array>) {}

  private out(text: string) {
    this.notes.push({ stream: 'stdout', text });
  }

  private err(text: string) {
    this.notes.push({ stream: 'stderr', text });
  }

  private tree(): NodeRef {
    return this.fit.tree();
  }

  async go(): Promise<number> {
    if (this.opts.timestamp !== undefined) {
      try {
        this.fit.setProp(this.tree(), 'timestamp', u32(this.opts.timestamp));
      } catch (e) {
        if (e instanceof NoSpace) return ENOSPC;
        throw e;
      }
    }
    return this.verificationData();
  }

  /** The node at a path of child indices (names may repeat, so indices, not names, find it again). */
  private at(indices: readonly number[]): NodeRef {
    let n = this.tree();
    for (const i of indices) n = n.children[i]!;
    return n;
  }

  private indexOf(name: string): number {
    const root = this.tree();
    const n = subnode(root, name);
    return n ? root.children.indexOf(n) : -1;
  }

  private async verificationData(): Promise<number> {
    const imagesIdx = this.indexOf('images');
    if (imagesIdx < 0) {
      this.out(`Can't find images parent node '/images' (FDT_ERR_NOTFOUND)\n`);
      return -1;
    }
    const signing = this.opts.signing && (this.opts.signing.keyDir !== undefined || this.opts.signing.keyFile !== undefined) ? this.opts.signing : undefined;
    const imageCount = this.at([imagesIdx]).children.length;
    for (let i = 0; i < imageCount; i++) {
      const image = this.at([imagesIdx, i]);
      const data = image.props.find((p) => p.name === 'data');
      if (!data) {
        this.out(`Can't get image data/size\n`);
        return -1;
      }
      const dataRope = this.fit.valueRope(data);
      const childCount = image.children.length;
      for (let c = 0; c < childCount; c++) {
        const child = this.at([imagesIdx, i, c]);
        let ret = 0;
        if (child.name.startsWith('hash')) ret = await this.hash([imagesIdx, i, c], image.name, dataRope);
        else if (signing && child.name.startsWith('signature')) ret = await this.signImage([imagesIdx, i, c], image.name, dataRope, signing);
        if (ret < 0) return ret;
      }
    }
    if (!signing) return 0;
    const confsIdx = this.indexOf('configurations');
    if (confsIdx < 0) {
      this.out(`Can't find images parent node '/configurations' (FDT_ERR_NOTFOUND)\n`);
      return ENOENT;
    }
    const confCount = this.at([confsIdx]).children.length;
    for (let i = 0; i < confCount; i++) {
      const childCount = this.at([confsIdx, i]).children.length;
      for (let c = 0; c < childCount; c++) {
        const child = this.at([confsIdx, i, c]);
        if (!child.name.startsWith('signature')) continue;
        const ret = await this.signConfig([confsIdx, i], c, signing);
        if (typeof ret === 'number' && ret < 0) return ret;
        this.summary = { signaturePath: this.at([confsIdx, i, c]).path, keyPath: this.keyPath(ret) };
      }
    }
    return 0;
  }

  private keyPath(ret: number | string): string | undefined {
    if (!this.opts.keyDest) return undefined;
    return typeof ret === 'string' ? ret : '/';
  }

  private async hash(idx: number[], imageName: string, data: Rope): Promise<number> {
    const node = this.at(idx);
    const algo = propString(this.fit, node, 'algo');
    if (algo === undefined) {
      this.out(`Can't get hash algo property for '${node.name}' hash node in '${imageName}' image node\n`);
      return ENOENT;
    }
    const key = `${idx.join('/')}:${algo}`;
    let value = this.cache.get(key);
    if (!value) {
      value = await hashRope(algo, data);
      if (!value) {
        this.out(`Unsupported hash algorithm (${algo}) for '${node.name}' hash node in '${imageName}' image node\n`);
        return EPROTONOSUPPORT;
      }
      this.cache.set(key, value);
    }
    try {
      this.fit.setProp(node, 'value', value);
    } catch (e) {
      if (!(e instanceof NoSpace)) throw e;
      this.out(`Can't set hash 'value' property for '${node.name}' node(FDT_ERR_NOSPACE)\n`);
      this.out(`Can't set hash value for '${node.name}' hash node in '${imageName}' image node\n`);
      return ENOSPC;
    }
    return 0;
  }

  /** fit_image_setup_sig: the algorithm (node's or -o) and padding, or -1 with U-Boot's message. */
  private setup(node: NodeRef, ownerName: string, signing: SigningOptions) {
    const algoName = signing.algo ?? propString(this.fit, node, 'algo');
    if (algoName === undefined) {
      this.out(`Can't get algo property for '${node.name}' signature node in '${ownerName}' image node\n`);
      return undefined;
    }
    const algo = parseSignatureAlgo(algoName, signing.cryptos ?? MKIMAGE_CRYPTOS);
    if (!algo) {
      this.out(`Unsupported signature algorithm (${algoName}) for '${node.name}' signature node in '${ownerName}' image node\n`);
      return undefined;
    }
    const padding = propString(this.fit, node, 'padding');
    const keyName = propString(this.fit, node, 'key-name-hint');
    return { algo, algoName, params: signatureParams(algo, padding), keyName };
  }

  /** The private key file path as rsa_get_priv_key / ecdsa prepare_ctx choose it. */
  private keyPathFor(kind: 'rsa' | 'ec', keyName: string | undefined, signing: SigningOptions): string | undefined {
    if (kind === 'ec') {
      if (signing.keyFile !== undefined) return signing.keyFile;
      return signing.keyDir !== undefined && keyName !== undefined ? `${signing.keyDir}/${keyName}.pem` : undefined;
    }
    if (signing.keyDir !== undefined && keyName !== undefined) return `${signing.keyDir}/${keyName}.key`;
    return signing.keyFile;
  }

  /** Sign some chunks; a negative code on failure (ENOENT: the key file is missing, which mkimage allows). */
  private async sign(setup: NonNullable<ReturnType<Attempt['setup']>>, signing: SigningOptions, data: Rope, cacheKey?: string): Promise<Uint8Array | number> {
    const cached = cacheKey ? this.cache.get(cacheKey) : undefined;
    if (cached) return cached;
    const kind = setup.algo.kind;
    const path = this.keyPathFor(kind, setup.keyName, signing);
    if (path === undefined) {
      if (kind === 'ec') this.err('keyfile, keyname, or key-name-hint missing\n');
      return -22;
    }
    const file = await signing.readKeyFile(path);
    if ('error' in file) {
      this.err(kind === 'ec' ? `Can not get key file '${path}'\n` : `Couldn't open RSA private key: '${path}': ${file.error}\n`);
      return ENOENT;
    }
    let pair;
    try {
      pair = readPrivateKey(file.text);
    } catch (e) {
      if (!isUimgError(e)) throw e;
      this.err(kind === 'ec' ? `Can not read key from '${path}'\n` : `Failure reading private key: ${e.message}\n`);
      return kind === 'ec' ? EIO : -71;
    }
    if (pair.privateKey.kind !== kind) {
      this.err(kind === 'ec' ? `'${path}' is not an ECDSA key\n` : `Signer setup failed: the key in '${path}' is not an RSA key\n`);
      return -22;
    }
    if (kind === 'ec' && pair.privateKey.bits !== setup.algo.bits) {
      this.err(`Expected a ${setup.algo.bits}-bit key, got ${pair.privateKey.bits}-bit key\n`);
      return -22;
    }
    const signer = backend.createSigner(pair.privateKey, setup.params);
    for await (const chunk of data.chunks()) signer.update(chunk);
    const value = await signer.sign();
    if (cacheKey) this.cache.set(cacheKey, value);
    return value;
  }

  /** fit_image_write_sig: value, signer-name, signer-version, comment, timestamp, [hashed-*], [algo]. */
  private writeSig(idx: number[], value: Uint8Array, signing: SigningOptions, hashed?: { nodes: string[]; stringsSize: number }): void {
    const set = (name: string, v: Uint8Array) => this.fit.setProp(this.at(idx), name, v);
    set('value', value);
    set('signer-name', cstring('mkimage'));
    set('signer-version', cstring('2023.01'));
    if (signing.comment !== undefined) set('comment', cstring(signing.comment));
    set('timestamp', u32(signing.time));
    if (hashed) {
      set('hashed-nodes', stringList(hashed.nodes));
      const s = new Uint8Array(8);
      s.set(u32(hashed.stringsSize), 4);
      set('hashed-strings', s);
    }
    if (signing.algo !== undefined) set('algo', cstring(signing.algo));
  }

  /** Write the public key of a signature into the key DTB; the node path, or a negative code. */
  private async addKey(setup: NonNullable<ReturnType<Attempt['setup']>>, signing: SigningOptions, required: string | undefined): Promise<string | number> {
    const dest = this.opts.keyDest!;
    const keyName = setup.keyName;
    if (setup.algo.kind === 'ec') {
      const path = this.keyPathFor('ec', setup.keyName, signing)!;
      const file = await signing.readKeyFile(path);
      if ('error' in file) {
        this.err(`Can not get key file '${path}'\n`);
        return ENOENT;
      }
      const pub = readPrivateKey(file.text).publicKey;
      if (!pub) {
        this.err(`Can not extract ECDSA key\n`);
        return -22;
      }
      try {
        const r = writeEcKeyNode(dest, keyName ?? 'default-key', ecNumbers(pub));
        if ('error' in r) {
          this.err(`${r.error}\n`);
          return r.code;
        }
        return r.path;
      } catch (e) {
        if (e instanceof NoSpace) return FDT_NOSPACE;
        throw e;
      }
    }
    const path = `${signing.keyDir ?? '(null)'}/${setup.keyName ?? '(null)'}.crt`;
    const file = await signing.readKeyFile(path);
    if ('error' in file) {
      this.err(`Couldn't open RSA certificate: '${path}': ${file.error}\n`);
      return EACCES;
    }
    let pub;
    try {
      pub = readPublicKey(file.text);
    } catch (e) {
      if (!isUimgError(e)) throw e;
      this.err(`Couldn't read certificate: ${e.message}\n`);
      return -22;
    }
    try {
      return writeRsaKeyNode(dest, setup.keyName ?? '(null)', setup.algoName, rsaNumbers(pub), required);
    } catch (e) {
      if (e instanceof NoSpace) return ENOSPC;
      throw e;
    }
  }

  private async signImage(idx: number[], imageName: string, data: Rope, signing: SigningOptions): Promise<number> {
    const node = this.at(idx);
    const setup = this.setup(node, imageName, signing);
    if (!setup) return -1;
    const value = await this.sign(setup, signing, data, `${idx.join('/')}:sig`);
    if (typeof value === 'number') {
      this.out(`Failed to sign '${node.name}' signature node in '${imageName}' image node: ${value}\n`);
      return value === ENOENT ? 0 : -1;
    }
    try {
      this.writeSig(idx, value, signing);
    } catch (e) {
      if (e instanceof NoSpace) return ENOSPC;
      throw e;
    }
    if (!this.opts.keyDest) return 0;
    const r = await this.addKey(setup, signing, signing.requireKeys ? 'image' : undefined);
    if (typeof r === 'number') {
      this.out(`Failed to add verification data for '${node.name}' signature node in '${imageName}' image node\n`);
      return r;
    }
    return 0;
  }

  /** fit_config_get_hash_list: the nodes a configuration signature covers, or a negative code. */
  private hashList(conf: NodeRef, sig: NodeRef): string[] | number {
    const nodes = ['/', `/configurations/${conf.name}`];
    const signImages = sig.props.find((p) => p.name === 'sign-images');
    let list: string[];
    let allowMissing: boolean;
    if (signImages) {
      if (signImages.length === 0) return nodes;
      list = propStrings(this.fit, sig, 'sign-images')!;
      allowMissing = false;
    } else {
      list = ['kernel', 'fdt'];
      allowMissing = true;
    }
    const images = nodeAt(this.tree(), '/images');
    let count = 0;
    for (const iname of list) {
      const values = propStrings(this.fit, conf, iname) ?? [];
      for (const uname of values) {
        const image = images && subnode(images, uname);
        if (!image) {
          this.out(`Failed to find image '${iname}' in  configuration '${conf.name}/${sig.name}'\n`);
          if (allowMissing) continue;
          return ENOENT;
        }
        nodes.push(image.path);
        const hashes = image.children.filter((c) => c.name.startsWith('hash'));
        if (!hashes.length) {
          this.out(`Failed to find any hash nodes in configuration '${conf.name}/${sig.name}' image '${iname}' - without these it is not possible to verify this image\n`);
          return ENOMSG;
        }
        nodes.push(...hashes.map((h) => h.path));
        count++;
      }
    }
    if (!count) {
      this.out(`Failed to find any images for configuration '${conf.name}/${sig.name}'\n`);
      return ENOMSG;
    }
    return nodes;
  }

  /** fit_config_process_sig; returns the key node path (or 0) on success, a negative code on failure. */
  private async signConfig(confIdx: number[], c: number, signing: SigningOptions): Promise<number | string | 0> {
    const conf = this.at(confIdx);
    const sig = conf.children[c]!;
    const nodes = this.hashList(conf, sig);
    if (typeof nodes === 'number') return -1;
    const stringsSize = this.fit.h.sizeStrings;
    const regions = fitRegions(this.fit, nodes);
    const setup = this.setup(sig, conf.name, signing);
    if (!setup) return -1;
    const value = await this.sign(setup, signing, regionBytes(this.fit, regions));
    if (typeof value === 'number') {
      this.out(`Failed to sign '${sig.name}' signature node in '${conf.name}' conf node\n`);
      return value === ENOENT ? 0 : -1;
    }
    const idx = [...confIdx, c];
    try {
      this.writeSig(idx, value, signing, { nodes, stringsSize });
    } catch (e) {
      if (e instanceof NoSpace) return ENOSPC;
      throw e;
    }
    if (!this.opts.keyDest) return 0;
    const r = await this.addKey(setup, signing, signing.requireKeys ? 'conf' : undefined);
    if (typeof r === 'number') {
      this.out(`Failed to add verification data for '${sig.name}' signature node in '${conf.name}' configuration node\n`);
    }
    return r;
  }
}
