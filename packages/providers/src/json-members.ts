/** UTF-16 code units of the characters the scan looks for. */
const CODE = {
  quote: 0x22,
  backslash: 0x5c,
  comma: 0x2c,
  openArray: 0x5b,
  openObject: 0x7b,
  closeArray: 0x5d,
  closeObject: 0x7d,
  space: 0x20,
  tab: 0x09,
  lf: 0x0a,
  cr: 0x0d,
} as const;

const isWs = (c: number) => c === CODE.space || c === CODE.lf || c === CODE.cr || c === CODE.tab;

/**
 * Finds the exact source text of each top-level member of a JSON object, so a member
 * (the provider's `data`) can be forwarded byte for byte instead of re-serialized
 * (which would change number formatting, escapes and whitespace).
 *
 * Call only on text that JSON.parse accepted: the scanner trusts the grammar and only
 * tracks strings and nesting. Returns null when the top level is not an object. Every
 * accepted webhook's body is scanned here besides JSON.parse, so it reads character codes
 * (not one-character strings) and skips strings with indexOf (`bench/json-scan.ts`).
 */
export function topLevelMembers(text: string): Map<string, string> | null {
  const n = text.length;
  let i = 0;
  const skipWs = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const skipString = () => {
    // text[i] is the opening quote. The closing one is the next quote not escaped, that is
    // not preceded by an odd number of backslashes.
    let from = i + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) {
        i = n;
        return;
      }
      let slashes = 0;
      while (quote - slashes - 1 > i && text.charCodeAt(quote - slashes - 1) === CODE.backslash) slashes++;
      if (slashes % 2 === 0) {
        i = quote + 1;
        return;
      }
      from = quote + 1;
    }
  };
  const skipValue = () => {
    const c = text.charCodeAt(i);
    if (c === CODE.quote) return skipString();
    if (c === CODE.openObject || c === CODE.openArray) {
      let depth = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === CODE.quote) {
          skipString();
          continue;
        }
        if (d === CODE.openObject || d === CODE.openArray) depth++;
        else if (d === CODE.closeObject || d === CODE.closeArray) {
          depth--;
          if (depth === 0) {
            i++;
            return;
          }
        }
        i++;
      }
      return;
    }
    // number, true, false, null
    for (; i < n; i++) {
      const d = text.charCodeAt(i);
      if (d === CODE.comma || d === CODE.closeObject || d === CODE.closeArray || isWs(d)) return;
    }
  };

  const members = new Map<string, string>();
  // A UTF-8 BOM is not JSON whitespace, but JSON.parse of a decoded body never sees it.
  skipWs();
  if (text.charCodeAt(i) !== CODE.openObject) return null;
  i++;
  skipWs();
  if (text.charCodeAt(i) === CODE.closeObject) return members;
  while (i < n) {
    skipWs();
    const keyStart = i;
    skipString();
    const key = JSON.parse(text.slice(keyStart, i)) as string;
    skipWs();
    i++; // ':'
    skipWs();
    const valueStart = i;
    skipValue();
    members.set(key, text.slice(valueStart, i)); // duplicate keys: the last wins, as in JSON.parse
    skipWs();
    if (text.charCodeAt(i) === CODE.comma) i++;
    else break;
  }
  return members;
}
