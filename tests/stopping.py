"""Keras's EarlyStopping rule written out by hand, and monitored sequences with their stops
worked out by hand: the oracle the early-stopping tests of `fit`, `fit_many` and `pinn.solve`
share."""

import numpy as np


def keras_early_stopping(values, patience, min_delta=0.0):
    """(epoch training stops after, best epoch) by Keras's EarlyStopping.on_epoch_end ("min"
    mode), written out: the counter goes up every epoch and back to 0 on an improvement."""
    best, best_epoch, wait = np.inf, None, 0
    for epoch, value in enumerate(values, start=1):
        wait += 1
        if value + min_delta < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 1:
            return epoch, best_epoch
    return len(values), best_epoch


# A monitored "score" that improves until epoch 4 and then worsens, one with a plateau (a tie
# is no improvement), and one whose late gains are smaller than min_delta.
IMPROVES_UNTIL_4 = [5.0, 4.0, 3.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
_PLATEAU = [3.0, 2.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
_SMALL_GAINS = [3.0, 2.0, 1.0, 0.96, 0.92, 0.88, 0.84, 0.8, 0.76, 0.72, 0.68, 0.64, 0.6, 0.56]
SEQUENCES = [  # (values, patience, min_delta, stopped after epoch, best epoch), by hand
    (IMPROVES_UNTIL_4, 5, 0.0, 9, 4),
    (IMPROVES_UNTIL_4, 0, 0.0, 5, 4),
    (IMPROVES_UNTIL_4, 1, 0.0, 5, 4),
    (IMPROVES_UNTIL_4, 2, 0.0, 6, 4),
    (IMPROVES_UNTIL_4, 10, 0.0, 14, 4),  # the 10th epoch without gain is the last one
    (IMPROVES_UNTIL_4, 11, 0.0, 14, 4),  # never stops: all 14 epochs
    (_PLATEAU, 0, 0.0, 4, 3),
    (_PLATEAU, 2, 0.0, 5, 3),
    (_PLATEAU, 3, 0.0, 9, 6),  # the gain at epoch 6 starts the count again
    (_SMALL_GAINS, 1, 0.1, 4, 3),
    (_SMALL_GAINS, 2, 0.1, 5, 3),
    (_SMALL_GAINS, 3, 0.1, 14, 12),  # gains of 0.12 every third epoch: never stops
]

__all__ = ["SEQUENCES", "keras_early_stopping"]
