/**
 * Finds the exact source text of each top-level member of a JSON object, so a member
 * (the provider's `data`) can be forwarded byte for byte instead of re-serialized
 * (which would change number formatting, escapes and whitespace).
 *
 * Call only on text that JSON.parse accepted: the scanner trusts the grammar and only
 * tracks strings and nesting. Returns null when the top level is not an object.
 */
export function topLevelMembers(text: string): Map<string, string> | null {
  let i = 0;
  const skipWs = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const skipString = () => {
    // text[i] is the opening quote
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return;
      } else i++;
    }
  };
  const skipValue = () => {
    const c = text[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const d = text[i];
        if (d === '"') {
          skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') {
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
    while (i < text.length && !',}] \n\r\t'.includes(text[i] as string)) i++;
  };

  const members = new Map<string, string>();
  // A UTF-8 BOM is not JSON whitespace, but JSON.parse of a decoded body never sees it.
  skipWs();
  if (text[i] !== '{') return null;
  i++;
  skipWs();
  if (text[i] === '}') return members;
  while (i < text.length) {
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
    if (text[i] === ',') i++;
    else break;
  }
  return members;
}
