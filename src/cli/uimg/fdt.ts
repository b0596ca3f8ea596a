/**
 * `uimg fdt get|put|list`: read and edit device-tree blobs (DTBs, FITs) in the spirit of dtc's fdtget and fdtput:
 * values in fdtget's formats (`-t s|i|u|x` with hh/h/l sizes), edits byte-identical to fdtput's. get and list read
 * through the FDT reader, so a FIT with a large inline image is not read whole.
 */
import type { Argv } from 'yargs';
import { UimgError } from '../../errors.js';
import { isFdtError } from '../../formats/fdt/error.js';
import { fdtPut, type FdtPutOp } from '../../formats/fdt/fdtput.js';
import { lookupFdtPath } from '../../formats/fdt/query.js';
import { findFdtProperty, readFdt, readFdtValue } from '../../formats/fdt/reader.js';
import { encodeFdtValue, formatFdtValue, parseFdtType, type FdtValueType } from '../../formats/fdt/typed.js';
import { type Context, EXIT, type Handler, STDIO_PATH, displayPath, openSource, readWhole, writeWhole } from './common.js';

/** fdtput holds the whole blob in memory; past this, a file is not a device tree anyone edits. */
const PUT_LIMIT = 1 << 30;

const TYPE_OPTION = { alias: 't', type: 'string', describe: "value type as fdtget's: s, i, u, x, after hh (or b), h or l for 1-, 2- or 4-byte elements" } as const;

function valueType(t: string | undefined): FdtValueType {
  return t === undefined ? {} : parseFdtType(t);
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

interface GetArgs { file: string; node: string; property: string; type?: string; default?: string }

function getBuilder(y: Argv): Argv<GetArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'DTB or FIT (- for stdin)' })
    .positional('node', { type: 'string', demandOption: true, describe: 'node path (/chosen), or one starting with an alias' })
    .positional('property', { type: 'string', demandOption: true })
    .option('type', TYPE_OPTION)
    .option('default', { alias: 'd', type: 'string', describe: 'print this when the node or property is missing' }) as unknown as Argv<GetArgs>;
}

async function getCommand(ctx: Context, a: GetArgs): Promise<number> {
  const t = valueType(a.type);
  const src = await openSource(ctx, a.file);
  try {
    const file = displayPath(a.file);
    const index = await readFdt(src).catch((e) => { throw isFdtError(e) ? e.withFile(file) : e; });
    const node = await lookupFdtPath(src, index, a.node).catch((e) => {
      if (a.default !== undefined && isFdtError(e)) return undefined;
      throw isFdtError(e) ? e.withFile(file) : e;
    });
    const prop = node && findFdtProperty(node, a.property);
    if (!prop) {
      if (a.default !== undefined) {
        ctx.io.stdout(latin1(a.default + '\n'));
        return EXIT.OK;
      }
      throw new UimgError('NO_SUCH_PART', `${file}: node ${a.node} has no property ${JSON.stringify(a.property)}`,
        { file, field: a.property, expected: 'a property of the node' }, `uimg fdt list ${file} ${a.node} shows its properties`);
    }
    const text = formatFdtValue(await readFdtValue(src, prop), t);
    ctx.io.stdout(latin1(text + '\n'));
    return EXIT.OK;
  } finally {
    await src.close();
  }
}

interface ListArgs { file: string; node: string; properties: boolean; nodes: boolean }

function listBuilder(y: Argv): Argv<ListArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'DTB or FIT (- for stdin)' })
    .positional('node', { type: 'string', default: '/', describe: 'node path (default /)' })
    .option('properties', { alias: 'p', type: 'boolean', default: false, describe: "only the properties' names, one a line (fdtget -p)" })
    .option('nodes', { alias: 'l', type: 'boolean', default: false, describe: "only the subnodes' names, one a line (fdtget -l)" }) as unknown as Argv<ListArgs>;
}

/** Properties, then subnodes with a trailing '/'; with -p or -l only those, exactly as fdtget lists them. */
async function listCommand(ctx: Context, a: ListArgs): Promise<number> {
  const src = await openSource(ctx, a.file);
  try {
    const file = displayPath(a.file);
    const index = await readFdt(src).catch((e) => { throw isFdtError(e) ? e.withFile(file) : e; });
    const node = await lookupFdtPath(src, index, a.node).catch((e) => { throw isFdtError(e) ? e.withFile(file) : e; });
    const both = a.properties === a.nodes;
    const lines = [
      ...(both || a.properties ? node.properties.map((p) => p.name) : []),
      ...(both || a.nodes ? node.children.map((c) => (both ? `${c.name}/` : c.name)) : []),
    ];
    ctx.io.stdout(latin1(lines.map((l) => l + '\n').join('')));
    return EXIT.OK;
  } finally {
    await src.close();
  }
}

interface PutArgs {
  file: string; node: string; property?: string; values: string[];
  type?: string; autoPath: boolean; create: boolean; remove: boolean; delete: boolean; output?: string;
}

function putBuilder(y: Argv): Argv<PutArgs> {
  return y
    .usage('$0 fdt put FILE NODE PROP [VALUE...]   set a property\n$0 fdt put -c FILE NODE...   create nodes\n'
      + '$0 fdt put -r FILE NODE...   remove nodes\n$0 fdt put -d FILE NODE PROP...   delete properties')
    .positional('file', { type: 'string', demandOption: true, describe: 'DTB or FIT, edited in place unless -o' })
    .positional('node', { type: 'string', demandOption: true })
    .positional('property', { type: 'string' })
    .positional('values', { type: 'string', array: true, default: [] })
    .option('type', TYPE_OPTION)
    .option('auto-path', { alias: 'p', type: 'boolean', default: false, describe: 'create missing nodes on the way (fdtput -p)' })
    .option('create', { alias: 'c', type: 'boolean', default: false, describe: 'create the nodes named (fdtput -c)' })
    .option('remove', { alias: 'r', type: 'boolean', default: false, describe: 'remove the nodes named and all under them (fdtput -r)' })
    .option('delete', { alias: 'd', type: 'boolean', default: false, describe: 'delete the properties named from NODE (fdtput -d)' })
    .option('output', { alias: 'o', type: 'string', describe: 'write the result here instead of over FILE (- for stdout)' }) as unknown as Argv<PutArgs>;
}

function putOp(a: PutArgs): FdtPutOp {
  const modes = [a.create, a.remove, a.delete].filter(Boolean).length;
  if (modes > 1) throw new UimgError('USAGE', 'choose one of -c (create), -r (remove) and -d (delete)', { field: 'mode' }, 'give one edit per command');
  const rest = [...(a.property !== undefined ? [a.property] : []), ...a.values.map(String)];
  if (a.create) return { kind: 'create', paths: [a.node, ...rest], autoPath: a.autoPath };
  if (a.remove) return { kind: 'remove', paths: [a.node, ...rest] };
  if (a.delete) return { kind: 'delete', path: a.node, props: rest };
  if (a.property === undefined) throw new UimgError('USAGE', 'missing property: uimg fdt put FILE NODE PROP [VALUE...]', { field: 'property' }, 'name the property to set');
  return { kind: 'set', path: a.node, prop: a.property, value: encodeFdtValue(a.values.map(String), valueType(a.type)), autoPath: a.autoPath };
}

/** Edit as fdtput does; the file changes only when the whole edit succeeds (written beside it, then renamed). */
async function putCommand(ctx: Context, a: PutArgs): Promise<number> {
  const op = putOp(a);
  const file = displayPath(a.file);
  const blob = await readWhole(ctx, a.file, PUT_LIMIT, 'a device tree to edit');
  let edited: Uint8Array;
  try {
    edited = fdtPut(blob, op);
  } catch (e) {
    throw isFdtError(e) ? e.withFile(file) : e;
  }
  const out = a.output ?? a.file;
  // Editing in place is what put is for: the input may be replaced (atomically) when no -o names another file.
  if (a.output === undefined && a.file !== STDIO_PATH) for (const [key, path] of ctx.inputs) if (path === a.file) ctx.inputs.delete(key);
  await writeWhole(ctx, out, edited, { flag: 'output' });
  return EXIT.OK;
}

export function fdtCommands(y: Argv, handle: Handler): Argv {
  return y
    .command('get <file> <node> <property>', "print a property's value (as fdtget: strings, or cells in -t's format)", getBuilder, handle(getCommand))
    .command('list <file> [node]', "a node's properties and subnodes (-p, -l: only those, as fdtget -p, -l)", listBuilder, handle(listCommand))
    .command('put <file> <node> [property] [values..]', 'set a property, or with -c/-r/-d create or remove nodes or delete properties (as fdtput)', putBuilder, handle(putCommand))
    .demandCommand(1, 'name an fdt command: get, list or put');
}
