/**
 * Deterministic weights that scripts/fixtures/hashed_weights.py computes bit for bit: each value is
 * a function of the parameter's name and the element's index only, so the golden training fixtures
 * never store BN-Inception's ~45 MB of weights (both sides regenerate them), and a random-weights
 * BN-Inception file can be made at test time. See the Python module for the scheme; every step here
 * is integer arithmetic mod 2^32 (Math.imul, >>> 0) or a correctly rounded float64 operation, then
 * one rounding to float32, exactly as numpy does it.
 */

export type HashedKind = 'he' | 'bias' | 'gamma' | 'variance' | 'unit' | 'probe';

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** u_i in (0, 1): murmur3's 32-bit finaliser over the Weyl sequence i * 0x9E3779B9 + fnv1a32(name). */
function uniformAt(i: number, salt: number): number {
  let x = (Math.imul(i, 0x9e3779b9) + salt) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0; // ^ gives a signed int32: back to uint32
  return (x + 0.5) / 4294967296;
}

/** n float32 values of one parameter (kinds as in hashed_weights.py `values`). */
export function hashedValues(name: string, kind: HashedKind, n: number, fanIn = 1): Float32Array {
  const salt = fnv1a32(name);
  const out = new Float32Array(n);
  const bound = Math.sqrt(6 / fanIn);
  const sqrt12 = Math.sqrt(12);
  for (let i = 0; i < n; i++) {
    const u = uniformAt(i, salt);
    switch (kind) {
      case 'he':
        out[i] = (u - 0.5) * 2 * bound;
        break;
      case 'bias':
        out[i] = (u - 0.5) * 0.2;
        break;
      case 'gamma':
        out[i] = 0.8 + 0.4 * u;
        break;
      case 'variance':
        out[i] = 0.5 + u;
        break;
      case 'unit':
        out[i] = (u - 0.5) * sqrt12;
        break;
      case 'probe':
        out[i] = u - 0.5;
        break;
    }
  }
  return out;
}

/**
 * One PyTorch state_dict entry (Cadene's names; conv OIHW, linear [out, in]) by the kind its name
 * says: BN scales in [0.8, 1.2], BN running variances in [0.5, 1.5], biases and running means in
 * [-0.1, 0.1], weights He-uniform over their fan-in (hashed_weights.py `torch_parameter`).
 */
export function hashedTorchParameter(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('_bn.weight')) return hashedValues(name, 'gamma', n);
  if (name.endsWith('_bn.running_var')) return hashedValues(name, 'variance', n);
  if (name.endsWith('.bias') || name.endsWith('_bn.running_mean')) return hashedValues(name, 'bias', n);
  if (name.endsWith('.weight'))
    return hashedValues(
      name,
      'he',
      n,
      shape.slice(1).reduce((a, b) => a * b, 1),
    );
  throw new Error(`hashedTorchParameter: no kind for ${name}`);
}
