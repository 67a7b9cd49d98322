"""Datasets & DataLoaders: a custom Dataset, looking at samples, batches from a DataLoader.

The shape of PyTorch's beginner "Datasets & DataLoaders" tutorial, written for
microtensor. The only changes from PyTorch code: the import lines, and the 8x8 scikit-learn
digits (held in memory as uint8 images) where the tutorials read FashionMNIST files from disk.
"""

import numpy as np
from sklearn.datasets import load_digits

import microtensor as torch
from microtensor.transforms import ToTensor
from microtensor.utils.data import DataLoader, Dataset

torch.manual_seed(0)

# --- the raw data (the swap: digits instead of image files and an annotations file) ---
digits = load_digits()
raw_images = (digits.images * (255 / 16)).astype(np.uint8)  # (1797, 8, 8) like read_image
raw_labels = digits.target


class CustomImageDataset(Dataset):
    def __init__(self, images, labels, transform=None, target_transform=None):
        self.img_labels = labels
        self.images = images
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        image = self.images[idx]
        label = int(self.img_labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


training_data = CustomImageDataset(raw_images[:1500], raw_labels[:1500], transform=ToTensor())
test_data = CustomImageDataset(raw_images[1500:], raw_labels[1500:], transform=ToTensor())

# --- iterating and looking at samples ---
labels_map = {digit: str(digit) for digit in range(10)}
for _ in range(3):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    print(f"sample {sample_idx}: label {labels_map[label]}, image {tuple(img.shape)}, "
          f"{img.dtype}, max {img.max().item():.3f}")

# --- preparing data for training with DataLoaders ---
train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
print(f"Label: {label}, image {tuple(img.shape)}")

seen = 0
for _features, batch_labels in train_dataloader:
    seen += len(batch_labels)
print(f"one epoch: {seen} samples in {len(train_dataloader)} batches")

print("data: done")
