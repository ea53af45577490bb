/**
 * Frees gradient tensors during tfjs's backward pass instead of at its end.
 *
 * tfjs's tape (engine.gradients) keeps every gradient it computes until the whole backward pass is
 * over: a layer's incoming gradient dy stays alive after the layer used it, and when a tensor feeds
 * several layers (an inception block's input feeds four branches) the tape sums their contributions
 * with add(sum, dx) and frees the old sum but never dx. PyTorch frees both as soon as they are used,
 * which is most of why a tfjs training step needed ~3x PyTorch's memory.
 *
 * The custom ops in this folder fix that for themselves: a consumer registers the input gradient it
 * returns (`contributed`), and the op that produced that input, whose gradient runs after all of its
 * consumers' (the tape runs in reverse order of the forward pass), frees its dy and every registered
 * contribution once it has computed its own input gradients (`release`). A tensor is never freed
 * before the tape is done with it: a node's dy is final when the node runs, and nothing but the
 * producer reads it. Contributions are keyed by the tensor's storage (dataId), which the tape's saved
 * copies of a tensor share with the original.
 */
import type * as tf from '@tensorflow/tfjs';

const contributions = new WeakMap<object, tf.Tensor[]>();

/** Records `dx`, a gradient with respect to `input`, for release by input's producer; returns dx. */
export function contributed<T extends tf.Tensor>(input: tf.Tensor, dx: T): T {
  const list = contributions.get(input.dataId);
  if (list) list.push(dx);
  else contributions.set(input.dataId, [dx]);
  return dx;
}

/** Called by the producer of `output` when it no longer needs `dy`: frees dy and the contributions. */
export function release(output: tf.Tensor, dy: tf.Tensor): void {
  for (const t of contributions.get(output.dataId) ?? []) t.dispose();
  contributions.delete(output.dataId);
  dy.dispose();
}
