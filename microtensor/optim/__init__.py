"""Optimizers and learning-rate schedules (``torch.optim``).

Each algorithm is a class (bookkeeping: parameter groups, state, checkpoints) plus a plain function
on NumPy arrays that does the arithmetic of one step, with the algorithm in its docstring:

========== ======================= =============================================
class      update function         reference
========== ======================= =============================================
SGD        ``sgd_update``          Robbins & Monro 1951; Polyak, Nesterov momentum
Adam       ``adam_update``         Kingma & Ba 2015 (AMSGrad: Reddi et al. 2018)
AdamW      ``adam_update``         Loshchilov & Hutter 2019
RMSprop    ``rmsprop_update``      Hinton 2012; centered: Graves 2013
Adagrad    ``adagrad_update``      Duchi, Hazan & Singer 2011
NAdam      ``nadam_update``        Dozat 2016
RAdam      ``radam_update``        Liu et al. 2020
Adadelta   ``adadelta_update``     Zeiler 2012
Adamax     ``adamax_update``       Kingma & Ba 2015, section 7.1
ASGD       ``asgd_update``         Polyak & Juditsky 1992
LBFGS      ``lbfgs_direction``     Liu & Nocedal 1989 (+ ``strong_wolfe`` line search)
Lion       ``lion_update``         Chen et al. 2023 (not in PyTorch)
========== ======================= =============================================
"""

from microtensor.optim import lr_scheduler
from microtensor.optim.adadelta import Adadelta, adadelta_update
from microtensor.optim.adagrad import Adagrad, adagrad_update
from microtensor.optim.adam import Adam, AdamW, adam_update
from microtensor.optim.adamax import Adamax, adamax_update
from microtensor.optim.asgd import ASGD, asgd_update
from microtensor.optim.lbfgs import LBFGS, lbfgs_direction, strong_wolfe
from microtensor.optim.lion import Lion, lion_update
from microtensor.optim.nadam import NAdam, nadam_update
from microtensor.optim.optimizer import Optimizer
from microtensor.optim.radam import RAdam, radam_update
from microtensor.optim.rmsprop import RMSprop, rmsprop_update
from microtensor.optim.sgd import SGD, sgd_update

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "NAdam",
    "RAdam",
    "Adadelta",
    "Adamax",
    "ASGD",
    "LBFGS",
    "Lion",
    "lr_scheduler",
    "sgd_update",
    "adam_update",
    "rmsprop_update",
    "adagrad_update",
    "nadam_update",
    "radam_update",
    "adadelta_update",
    "adamax_update",
    "asgd_update",
    "lbfgs_direction",
    "strong_wolfe",
    "lion_update",
]
