/** Kconfig `.config`/defconfig lines: `CONFIG_X=y`, `# CONFIG_X is not set`, hex values, quoted strings. */
import { UimgError } from '../errors.js';
import { hex } from '../numbers.js';

export type KconfigValue = boolean | number | string | { hex: number };

/** One line; strings are quoted with Kconfig's escapes (backslash and double quote). */
export function kconfigLine(name: string, value: KconfigValue): string {
  if (value === false) return `# CONFIG_${name} is not set`;
  if (value === true) return `CONFIG_${name}=y`;
  if (typeof value === 'number') return `CONFIG_${name}=${value}`;
  if (typeof value === 'object') return `CONFIG_${name}=${hex(value.hex)}`;
  if (/[\n\r\0]/.test(value)) {
    throw new UimgError('BAD_VALUE', `CONFIG_${name}: a Kconfig string cannot hold a line break or NUL`, { field: name, actual: JSON.stringify(value) });
  }
  return `CONFIG_${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `# text` lines, one per line of text. */
export const comment = (text: string): string[] => text.split('\n').map((l) => (l ? `# ${l}` : '#'));
