/**
 * Runs `fn` over `items` with at most `limit` in flight; results keep the input order. Plain
 * promises, so deterministic inside a workflow: lanes take the next item in input order. The first
 * failure rejects the whole map (items not yet started are not started afterwards).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}
