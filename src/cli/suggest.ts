/** "Did you mean": the known name closest to a mistyped one, for commands, flags and values alike. */

/** Edit distance with adjacent transpositions (optimal string alignment): `kernal` is 1 from `kernel`. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The choice a mistyped word most likely meant: the same word in another case, a choice it is a prefix of (when only
 * one is), else the nearest by edit distance within a third of its length (none for one or two letters: every
 * letter is one edit from every other). Undefined when none is close.
 */
export function closest(word: string, choices: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w === '') return undefined;
  const same = choices.find((c) => c.toLowerCase() === w);
  if (same !== undefined) return same;
  const prefixed = choices.filter((c) => c.toLowerCase().startsWith(w));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.floor(w.length / 3) + 1;
  for (const c of choices) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** `did you mean 'x'?`, or undefined; `show` spells the choice as the user would type it (`--type`). */
export function didYouMean(word: string, choices: readonly string[], show: (c: string) => string = (c) => `'${c}'`): string | undefined {
  const c = closest(word, choices);
  return c === undefined ? undefined : `did you mean ${show(c)}?`;
}
