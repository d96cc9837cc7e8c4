import { useRef } from "react";

/** The same map object for as long as its entries are the same: memoised rows keep their props. */
export function useStableMap<K, V>(map: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
  const kept = useRef(map);
  if (kept.current !== map && !sameEntries(kept.current, map)) kept.current = map;
  return kept.current;
}

export function sameEntries<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value || !b.has(key)) return false;
  return true;
}
