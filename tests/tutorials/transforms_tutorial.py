"""Transforms: ToTensor for the images, a Lambda target transform that one-hot encodes (scatter_).

The shape of PyTorch's beginner "Transforms" tutorial, written for microtensor. The only changes
from PyTorch code: the import lines, and the 8x8 scikit-learn digits (held in memory as uint8
images) where the tutorial builds datasets.FashionMNIST with these transforms.
"""

import numpy as np
from sklearn.datasets import load_digits

import microtensor as torch
from microtensor.transforms import Lambda, ToTensor
from microtensor.utils.data import DataLoader, Dataset

# --- the raw data (the swap: digits instead of datasets.FashionMNIST) ---
digits = load_digits()
raw_images = (digits.images * (255 / 16)).astype(np.uint8)
raw_labels = digits.target


class Digits(Dataset):
    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(raw_labels)

    def __getitem__(self, idx):
        image, label = raw_images[idx], int(raw_labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


ds = Digits(
    transform=ToTensor(),
    target_transform=Lambda(
        lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
    ),
)

image, target = ds[0]
print(f"image: {tuple(image.shape)} {image.dtype}, "
      f"values in [{image.min():.1f}, {image.max():.1f}]")
print(f"target of sample 0 (a {raw_labels[0]}): {target}")
features, targets = next(iter(DataLoader(ds, batch_size=4)))
print(f"one-hot batch: {tuple(targets.shape)}, rows sum to {targets.sum(1)}")
print(f"classes: {targets.argmax(1)} vs labels {raw_labels[:4]}")
print("transforms: done")
