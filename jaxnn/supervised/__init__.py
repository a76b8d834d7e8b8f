"""Supervised learning on the one training loop: `fit`, `evaluate`, `predict`, `predict_proba`,
`fit_many` (many models as one vmapped program), ensembles and MC-dropout uncertainty. The
objectives (losses and metrics on the device), class weights, Keras spellings and the input
checks live here too.

    result = jaxnn.fit(model, (x, y), loss="softmax_cross_entropy", epochs=20,
                       validation_split=0.1, metrics=["accuracy", "auc"])
"""

from jaxnn.supervised._class_weights import balanced_class_weight
from jaxnn.supervised._fit import evaluate, fit, predict, predict_proba
from jaxnn.supervised._many import expand_configs, fit_many
from jaxnn.supervised._many_result import GridResult, ManyResult
from jaxnn.supervised._uncertainty import Uncertainty, predict_ensemble, predict_mc_dropout

__all__ = [
    "GridResult",
    "ManyResult",
    "Uncertainty",
    "balanced_class_weight",
    "evaluate",
    "expand_configs",
    "fit",
    "fit_many",
    "predict",
    "predict_ensemble",
    "predict_mc_dropout",
    "predict_proba",
]
