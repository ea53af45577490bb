#!/usr/bin/python3
"""The reference side of the prepared-image deviation (docs/prepared-images.md).

For every published dataset image (<gt_masks>/<dataset>/<idx>_image.jpeg) and its rembg mask
(<idx>_mask_pred.png), the tensors the reference implementation feeds its model, computed the way
its src/utils/transforms.py and datamodules do at every access: PIL decodes the ORIGINAL file
(ImageFolder's loader: Image.open(..).convert("RGB"); masks .convert("L")), RGB->BGR, Resize(256),
then CenterCrop(227) (val/test) or RandomResizedCrop.get_params + resized_crop(227) + flip (train).

Crop parameters: both sides consume the same recorded uniforms (written to the output), mapped as
in scripts/fixtures/gen_transforms.py (torch.empty(1).uniform_, torch.randint and np.random.rand
replaced by replays of the stream), so the TypeScript side can run its own trainTransform on the
same stream and get the same crops.

Output (in --out): reference.json (per image: name, original and resized size, crop params,
uniforms) and one uint8 .npy per tensor: HWC BGR pixels before to_tensor (x/255*255 and the mean
subtraction are the same arithmetic on both sides), masks as HxW uint8, and the image after
PIL's decode + Resize(256) in RGB (<stem>_resized_rgb.npy).

Run: bash scripts/fidelity/python-deps.sh && /usr/bin/python3 scripts/fidelity/prepared_reference.py \
       --data <folder with cars196/ cub200/ sop/> --out <folder>
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
from gen_transforms import Stream  # noqa: E402  (the same uniform replay as the golden fixtures)

RESIZE, CROP, SCALE, RATIO = 256, 227, (0.16, 1), (0.75, 1.33)
TRAIN_CROPS = 3
DATASETS = ["cars196", "cub200", "sop"]


def bgr(image):
    r, g, b = image.split()
    return Image.merge("RGB", (b, g, r))


def save(out, name, img):
    np.save(os.path.join(out, name), np.ascontiguousarray(np.asarray(img, dtype=np.uint8)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.RandomState(20240615)
    items = []
    for dataset in DATASETS:
        folder = os.path.join(args.data, dataset)
        names = sorted(f for f in os.listdir(folder) if f.endswith("_image.jpeg"))
        if not names:
            raise SystemExit(f"no *_image.jpeg in {folder}")
        for f in names:
            stem = f"{dataset}-{f[: -len('_image.jpeg')]}"
            image = bgr(Image.open(os.path.join(folder, f)).convert("RGB"))
            mask = Image.open(os.path.join(folder, f.replace("_image.jpeg", "_mask_pred.png"))).convert("L")
            original = image.size
            image, mask = TF.resize(image, RESIZE), TF.resize(mask, RESIZE)
            # PIL's own decode + resize, back in RGB: lets the TS side separate the storage's error
            # from the decoder's (it stores these pixels instead of its own decode's).
            save(args.out, f"{stem}_resized_rgb.npy", bgr(image))
            save(args.out, f"{stem}_eval.npy", TF.center_crop(image, (CROP, CROP)))
            save(args.out, f"{stem}_eval_mask.npy", TF.center_crop(mask, (CROP, CROP)))
            crops = []
            for k in range(TRAIN_CROPS):
                values = rng.rand(64).tolist()
                with Stream(values) as s:
                    i, j, h, w = T.RandomResizedCrop.get_params(image, scale=SCALE, ratio=RATIO)
                    flip = bool(np.random.rand() > 0.5)
                    used = s.used
                img = TF.resized_crop(image, i, j, h, w, size=(CROP, CROP))
                msk = TF.resized_crop(mask, i, j, h, w, size=(CROP, CROP))
                if flip:
                    img, msk = TF.hflip(img), TF.hflip(msk)
                save(args.out, f"{stem}_train{k}.npy", img)
                save(args.out, f"{stem}_train{k}_mask.npy", msk)
                crops.append({"uniforms": values[:used], "top": i, "left": j, "height": h, "width": w, "flip": flip})
            items.append({"dataset": dataset, "file": f, "stem": stem, "original": list(original),
                          "resized": list(image.size), "train": crops})
    meta = {"generator": "scripts/fidelity/prepared_reference.py",
            "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                         "PIL": Image.__version__, "numpy": np.__version__},
            "resize": RESIZE, "crop": CROP, "scale": list(SCALE), "ratio": list(RATIO), "items": items}
    with open(os.path.join(args.out, "reference.json"), "w") as fh:
        json.dump(meta, fh)
    print(f"wrote {len(items)} images x (1 eval + {TRAIN_CROPS} train crops) to {args.out}")


if __name__ == "__main__":
    main()
