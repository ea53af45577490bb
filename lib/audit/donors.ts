/**
 * Donor images of the mixed protocols, drawn from an image's own stream:
 * - mixed-same: uniformly among the OTHER images of its class; an image alone in its class has no
 *   donor and uses its own background (recorded as donor = itself). Such an image is a lone query
 *   anyway (left out of the metrics) and only serves as a gallery entry.
 * - mixed-rand: a class drawn uniformly among the other classes, then an image uniformly in it
 *   (classes weigh equally whatever their sizes; ImageNet-9's Mixed-Rand draws from any class).
 */
import type { TransformRng } from '../ml/transforms/randomResizedCrop';

export class ClassIndex {
  /** Image indices per label, ascending; labels sorted ascending. */
  readonly members = new Map<number, number[]>();
  readonly classes: number[];

  constructor(readonly labels: Int32Array) {
    labels.forEach((label, i) => {
      const list = this.members.get(label);
      if (list) list.push(i);
      else this.members.set(label, [i]);
    });
    this.classes = [...this.members.keys()].sort((a, b) => a - b);
  }

  sameClassDonor(image: number, rng: TransformRng): number {
    const list = this.members.get(this.labels[image])!;
    if (list.length === 1) return image;
    // Uniform among the others: draw a position in the list without the image itself.
    const self = list.indexOf(image);
    const k = rng.int(0, list.length - 2);
    return list[k >= self ? k + 1 : k];
  }

  otherClassDonor(image: number, rng: TransformRng): number {
    if (this.classes.length < 2) {
      throw new Error('mixed-rand needs at least two classes in the split, found one');
    }
    const own = this.classes.indexOf(this.labels[image]);
    const k = rng.int(0, this.classes.length - 2);
    const list = this.members.get(this.classes[k >= own ? k + 1 : k])!;
    return list[rng.int(0, list.length - 1)];
  }
}
