"""Data preparation: splits, scaling, label encoding, one-hot, and on-device minibatch indices;
`jaxnn.data.datasets` holds the generators and loaders of the worked examples.

Everything here except `batch_indices` and `batch_layout` runs on the host with NumPy (it
happens once, before training). `batch_layout` is the piece the compiled epoch calls: a
permutation of the samples laid out as a fixed-shape (num_batches, batch_size) grid, so that
every epoch has the same shapes and compiles once; `batch_indices` draws the permutation too.

    (x_tr, y_tr), (x_dev, y_dev), (x_te, y_te) = split(x, y, fractions=(0.8, 0.1, 0.1), seed=0)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_dev = scaler.transform(x_tr), scaler.transform(x_dev)
    encoder = LabelEncoder().fit(["kaon", "pion", "proton"])
    y = one_hot(encoder.transform(names))
"""

from jaxnn.data import datasets
from jaxnn.data._batches import batch_indices, batch_layout, num_batches
from jaxnn.data._labels import LabelEncoder, as_class_indices, class_labels, one_hot, to_numpy
from jaxnn.data._scalers import MinMaxScaler, StandardScaler
from jaxnn.data._split import split

__all__ = [
    "LabelEncoder",
    "MinMaxScaler",
    "StandardScaler",
    "as_class_indices",
    "batch_indices",
    "batch_layout",
    "class_labels",
    "datasets",
    "num_batches",
    "one_hot",
    "split",
    "to_numpy",
]
