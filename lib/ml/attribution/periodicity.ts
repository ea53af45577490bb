/**
 * How much of a map is a pattern repeating every p pixels: fold the size x size map onto one p x p
 * tile (the mean of all pixels with the same position mod p) and compare the tile's variance with the
 * map's. By Parseval this is the share of the map's variance at the frequencies that are multiples of
 * 1/p. A map without periodic structure keeps about the chance share (p^2 - 1) / (size^2 - 1) there;
 * stride-2 convolutions leave their input gradients modulated with period 2 per layer (the dot grid
 * of docs/attention-grid.md).
 */
export function periodicShare(map: ArrayLike<number>, size: number, p: number): number {
  if (map.length !== size * size) throw new Error(`periodicShare: ${map.length} values for a ${size}x${size} map`);
  if (!Number.isInteger(p) || p < 1 || size % p !== 0)
    throw new Error(`periodicShare: period ${p} must be a positive divisor of the map size ${size}`);
  let mean = 0;
  for (let i = 0; i < map.length; i++) mean += map[i];
  mean /= map.length;
  let total = 0;
  for (let i = 0; i < map.length; i++) total += (map[i] - mean) ** 2;
  const tile = new Float64Array(p * p);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) tile[(y % p) * p + (x % p)] += map[y * size + x];
  const perCell = (size / p) ** 2;
  let periodic = 0;
  for (const t of tile) periodic += perCell * (t / perCell - mean) ** 2;
  return total > 0 ? periodic / total : 0;
}

/** The share a map without periodic structure (white noise) has at period p, on average. */
export function chanceShare(size: number, p: number): number {
  return (p * p - 1) / (size * size - 1);
}
