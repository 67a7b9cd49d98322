"""Datasets, samplers and mini-batches: the names and behaviour of ``torch.utils.data``::

    dataset = TensorDataset(images, labels)             # sample i is (images[i], labels[i])
    train, val = random_split(dataset, [0.8, 0.2], generator=mt.Generator(0))
    for x, y in DataLoader(train, batch_size=64, shuffle=True):
        ...                                              # x: (64, ...) tensor, y: (64,) tensor

Where to read: ``dataset.py`` (what a sample is), ``sampler.py`` (which samples, in which
order), ``dataloader.py`` (batching, collating, worker threads).

Batch, mini-batch and stochastic gradient descent are one loop with three batch sizes: with
``batch_size=len(dataset)`` every step sees the whole data set (batch gradient descent), with
``batch_size=B`` a random mini-batch of B samples (mini-batch SGD, the usual choice), and with
``batch_size=1`` a single sample (pure stochastic gradient descent).

Speed: a ``DataLoader`` over a ``TensorDataset`` (or a ``Subset`` of one, as ``random_split``
returns) builds each batch by indexing the stored tensors once with an array of indices, not by
fetching samples one at a time and stacking them. Datasets that transform each sample (random
augmentation) or a custom ``collate_fn`` take the per-sample path, as in PyTorch.
"""

from microtensor.utils.data.dataloader import (
    DataLoader,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
)
from microtensor.utils.data.dataset import (
    BatchFetcher,
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
    split_lengths,
)
from microtensor.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
    "default_convert", "get_worker_info", "random_split", "WorkerInfo",
]
