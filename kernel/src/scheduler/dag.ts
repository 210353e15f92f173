// Dependency graph checks: finds the cycle a new task would close, so submit can name it.

/**
 * Depth-first search from `start`'s dependencies back to `start`.
 * `depsOf` returns the declared dependencies of a known task (undefined for ids not submitted yet).
 * Returns the cycle as a path `[start, a, b, start]`, or undefined when there is none.
 */
export function findCycle(
  start: string,
  deps: readonly string[],
  depsOf: (id: string) => readonly string[] | undefined,
): string[] | undefined {
  const visited = new Set<string>();
  const path: string[] = [start];
  const visit = (id: string): boolean => {
    if (id === start) return true;
    if (visited.has(id)) return false;
    visited.add(id);
    path.push(id);
    for (const d of depsOf(id) ?? []) if (visit(d)) return true;
    path.pop();
    return false;
  };
  for (const d of deps) if (visit(d)) return [...path, start];
  return undefined;
}
