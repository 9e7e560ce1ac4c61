/** Small statistics the benchmark scripts share. */

/** The middle value (the upper one of the two middles for an even count); the input is not reordered. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
