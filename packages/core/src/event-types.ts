/**
 * Whether a destination's `event_types` filter lets `type` through. No filter (null or
 * empty) passes everything; a pattern is an exact type or a glob where `*` matches any
 * run of characters (`video.asset.*` matches `video.asset.ready` and
 * `video.asset.static_renditions.ready`).
 */
export function matchesEventTypes(patterns: readonly string[] | null | undefined, type: string): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => (pattern.includes('*') ? globToRegExp(pattern).test(type) : pattern === type));
}

const cache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    cache.set(pattern, re);
  }
  return re;
}
