"""Training, iterative magnitude pruning and lottery tickets (thesis Section 4.1).

The experiments that led to the Strong Lottery Ticket Hypothesis, on fully connected ReLU
networks without biases (the class the SLTH constructions prune):

- :func:`fit` is the one training loop of the library and its scripts: cross-entropy,
  Adam or SGD, an optional learning-rate schedule, batches in a seeded random order, on
  any torch model (a :class:`MaskedMLP`, the digits CNN, LeNet-5, Pensia et al.'s MLP);
- :func:`train` trains a :class:`MaskedMLP` with Frankle & Carbin's (2019) Adam setting,
  seeded and deterministic on CPU;
- :func:`random_masks` draws a sparse architecture with an exact number of kept weights per
  layer (the "sparse networks train badly" baseline);
- :func:`magnitude_masks` removes the smallest surviving weights of each layer, and
  :func:`imp` repeats train-prune rounds: iterative magnitude pruning (Han et al., 2015)
  when the survivors keep their trained values, lottery tickets (Frankle & Carbin, 2019)
  when they are rewound to their initial values (or to an early step of training) before
  each new round.

Training by pruning alone (edge-popup) is :mod:`rsslib.slth.edge_popup`.

Keep fraction, not prune fraction: every function here takes ``keep`` or ``density``, the
fraction of weights that remain.

Reproducibility: with the same seed, the same data and the same number of threads, two
runs give identical weights (``torch.use_deterministic_algorithms``). Training runs with a
fixed thread count (default 1 in :func:`train`) so that a stored result does not depend on
how many cores the machine has; across CPUs with different vector kernels the last bits of
a matrix product differ, and training amplifies them, so accuracies agree only to within a
few tenths of a percent there, never bit for bit. Every ``seed`` is a non-negative int, or
a numpy Generator from which one int seed is drawn (torch generators take ints).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from rsslib._validate import as_count, as_finite_real, as_int_seed, as_positive_real, as_real_array
from rsslib.slth._training import (
    Bar,
    as_fraction,
    as_sizes,
    check_progress,
    deterministic,
    flat_data,
    kept_count,
    labels_for,
    problem,
)

#: LeNet-300-100 (LeCun et al. 1998), the fully connected network of Frankle & Carbin (2019).
SIZES = (784, 300, 100, 10)
REWINDS = ("init", "none")
OPTIMIZERS = ("adam", "sgd")
#: Learning-rate schedules of :func:`fit`: cosine annealing to 0 over the epochs (stepped
#: once per epoch), and one cycle up to ``lr`` and down (stepped once per batch).
SCHEDULES = (None, "cosine", "onecycle")


# ---------------------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------------------
def init_weights(sizes=SIZES, seed: int = 0) -> list[torch.Tensor]:
    """Kaiming-uniform initial weights (bound sqrt(6 / fan_in)) of a bias-free ReLU MLP.

    Layer i maps ``sizes[i]`` inputs to ``sizes[i + 1]`` outputs; its weight has shape
    ``(sizes[i + 1], sizes[i])``. Drawn from ``torch.Generator().manual_seed(seed)``.
    """
    sizes = as_sizes(sizes)
    gen = torch.Generator().manual_seed(as_int_seed(seed))
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = math.sqrt(6.0 / fan_in)
        out.append((torch.rand((fan_out, fan_in), generator=gen) * 2 - 1) * bound)
    return out


class MaskedMLP(torch.nn.Module):
    """A bias-free ReLU MLP whose weights are multiplied by fixed 0/1 masks.

    The forward pass uses ``W * M`` only, so a masked weight has no influence on the output
    and receives a zero gradient: it is pruned, whatever value it holds.

    Parameters
    ----------
    weights : sequence of torch.Tensor
        One ``(out, in)`` matrix per layer, consecutive shapes chained; copied.
    masks : sequence of torch.Tensor, optional
        Boolean (or 0/1) tensors of the same shapes; default all ones (dense).
    """

    def __init__(self, weights: Sequence[torch.Tensor], masks=None):
        super().__init__()
        weights = [torch.as_tensor(w, dtype=torch.float32).detach().clone() for w in weights]
        if not weights or any(w.ndim != 2 for w in weights):
            raise ValueError("weights must be a non-empty sequence of 2-D tensors")
        for a, b in zip(weights[:-1], weights[1:], strict=True):
            if b.shape[1] != a.shape[0]:
                raise ValueError(f"weights do not chain: {tuple(a.shape)} then {tuple(b.shape)}")
        self.weights = torch.nn.ParameterList(torch.nn.Parameter(w) for w in weights)
        if masks is None:
            masks = [torch.ones_like(w, dtype=torch.bool) for w in weights]
        self.set_masks(masks)

    def set_masks(self, masks) -> None:
        masks = [torch.as_tensor(m).detach().clone().bool() for m in masks]
        if [m.shape for m in masks] != [w.shape for w in self.weights]:
            raise ValueError("masks must have the shapes of the weights")
        self.masks = masks

    def effective(self) -> list[torch.Tensor]:
        """The weights the forward pass uses, ``W * M`` (detached copies)."""
        return [(w * m).detach().clone() for w, m in zip(self.weights, self.masks, strict=True)]

    def kept(self) -> int:
        return int(sum(int(m.sum()) for m in self.masks))

    def size(self) -> int:
        return int(sum(m.numel() for m in self.masks))

    def density(self) -> float:
        """Fraction of the weights that are kept."""
        return self.kept() / self.size()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        last = len(self.weights) - 1
        for i, (w, m) in enumerate(zip(self.weights, self.masks, strict=True)):
            x = x @ (w * m).T
            if i < last:
                x = F.relu(x)
        return x


def accuracy(net: torch.nn.Module, x, y, batch: int = 2000) -> float:
    """Fraction of inputs whose largest logit is the label."""
    x, y = flat_data(x, y, "accuracy data")
    batch = as_count(batch, "batch", 1)
    hits = 0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            hits += int((net(x[s : s + batch]).argmax(1) == y[s : s + batch]).sum())
    return hits / len(x)


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
def _optimizer(name, params, lr, momentum, weight_decay):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    momentum = as_finite_real(momentum, "momentum")
    weight_decay = as_finite_real(weight_decay, "weight_decay")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if momentum:
        raise ValueError("momentum is for optimizer='sgd' (Adam has its own betas)")
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def _inputs(x, name: str) -> torch.Tensor:
    """``x`` as a tensor of floats (float32 and float64 kept, anything else float32)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(as_real_array(x, name))
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def fit(
    model: Callable[[torch.Tensor], torch.Tensor],
    x,
    y,
    epochs: int,
    lr: float,
    batch: int,
    seed=0,
    progress: bool = False,
    *,
    optimizer: str = "adam",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    schedule: str | None = None,
    params=None,
    snapshot_step: int | None = None,
    threads: int | None = None,
    on_epoch: Callable[[int, float], object] | None = None,
) -> dict:
    """Train ``model`` in place on the cross-entropy of its outputs: the library's one loop.

    Each epoch visits the ``N`` examples in the order of ``torch.randperm(N, generator)``,
    in batches of ``batch`` (the last one shorter); each batch computes the loss of
    ``model(x[idx])`` against ``y[idx]``, zeroes the gradients, back-propagates and steps the
    optimizer. Runs with torch's deterministic algorithms, so the same seed, data and thread
    count give the same weights bit for bit.

    Parameters
    ----------
    model : callable
        Maps a batch of inputs to logits ``(B, classes)``: a ``torch.nn.Module``, or any
        function of tensors (then ``params`` says what to train).
    x : array_like or torch.Tensor
        Inputs, first axis the examples; float32 and float64 are kept as they are.
    y : array_like of int
        The labels, one per input, >= 0.
    epochs : int
        Passes over the data, >= 1.
    lr : float
        Learning rate, > 0 (the peak of the ``"onecycle"`` schedule).
    batch : int
        Batch size, >= 1.
    seed : int, numpy.random.Generator or torch.Generator
        The batch order: an int seeds ``torch.Generator().manual_seed(seed)``; a numpy
        Generator gives one int seed; a ``torch.Generator`` is drawn from as it is (its
        stream continues, e.g. after the initial weights were drawn from it).
    progress : bool
        Show a bar over the steps on stderr (``None``: on a terminal and not in CI).
    optimizer : {"adam", "sgd"}
        ``torch.optim.Adam`` or ``torch.optim.SGD`` with ``momentum``; both with
        ``weight_decay``.
    schedule : {None, "cosine", "onecycle"}
        A constant ``lr``; ``CosineAnnealingLR(T_max=epochs)`` stepped after each epoch; or
        ``OneCycleLR(max_lr=lr)`` over all the steps, stepped after each batch.
    params : iterable of torch.Tensor, optional
        The tensors to train (they must require gradients); default the parameters of
        ``model`` that require gradients.
    snapshot_step : int, optional
        Also return a copy of ``params`` after this many optimizer steps (0: before the
        first), for rewinding to an early point of training (Frankle et al., 2020).
    threads : int, optional
        torch threads during training (restored afterwards); ``None`` leaves them alone.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, loss)`` after each epoch (``epoch`` from 1, ``loss``
        the epoch's mean training loss), e.g. to print a line.

    Returns
    -------
    dict
        ``loss`` (mean training loss over the last epoch), ``losses`` (one per epoch),
        ``steps``, and ``snapshot`` (list of tensors, or ``None``).
    """
    x = _inputs(x, "x")
    y = labels_for(x, y, "training data")
    epochs = as_count(epochs, "epochs", 1)
    batch = as_count(batch, "batch", 1)
    lr = as_positive_real(lr, "lr")
    progress = check_progress(progress)
    gen = seed if isinstance(seed, torch.Generator) else None
    if gen is None:
        gen = torch.Generator().manual_seed(as_int_seed(seed))
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if snapshot_step is not None:
        snapshot_step = as_count(snapshot_step, "snapshot_step", 0)
    if params is None:
        if not isinstance(model, torch.nn.Module):
            raise ValueError("params must be given when model is not a torch.nn.Module")
        params = [p for p in model.parameters() if p.requires_grad]
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty list of tensors that require gradients")
    opt = _optimizer(optimizer, params, lr, momentum, weight_decay)
    steps_per_epoch = (len(x) + batch - 1) // batch
    scheduler = None
    if schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif schedule == "onecycle":
        total_steps = epochs * steps_per_epoch
        scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total_steps)
    bar = Bar(epochs * steps_per_epoch, "training", progress)
    snapshot, losses, step = None, [], 0
    with deterministic(threads):
        for epoch in range(epochs):
            order = torch.randperm(len(x), generator=gen)
            total = 0.0
            for s in range(0, len(x), batch):
                if step == snapshot_step:
                    snapshot = [p.detach().clone() for p in params]
                idx = order[s : s + batch]
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                if schedule == "onecycle":
                    scheduler.step()
                step += 1
                total += float(loss.detach()) * len(idx)
                bar.update()
            if schedule == "cosine":
                scheduler.step()
            losses.append(total / len(x))
            if on_epoch is not None:
                on_epoch(epoch + 1, losses[-1])
        if step == snapshot_step:
            snapshot = [p.detach().clone() for p in params]
    bar.close()
    if snapshot_step is not None and snapshot is None:
        raise ValueError(f"snapshot_step {snapshot_step} is beyond the {step} steps of training")
    return {"loss": losses[-1], "losses": losses, "steps": step, "snapshot": snapshot}


def train(
    net: torch.nn.Module,
    x_train,
    y_train,
    epochs: int = 3,
    lr: float = 1.2e-3,
    batch: int = 60,
    seed: int = 0,
    snapshot_step: int | None = None,
    threads: int | None = 1,
    progress=None,
) -> dict:
    """Train an MLP's parameters in place with Adam on the cross-entropy loss (:func:`fit`).

    Adam with learning rate 1.2e-3 and batches of 60 is Frankle & Carbin's (2019) setting
    for LeNet-300-100. Batches are drawn in a random order from
    ``torch.Generator().manual_seed(seed)``.

    Parameters
    ----------
    net : torch.nn.Module
        A :class:`MaskedMLP` or :class:`~rsslib.slth.edge_popup.EdgePopupMLP` (only its
        ``requires_grad`` parameters move: the weights of the first, the scores of the
        second).
    x_train, y_train : array_like
        Inputs (flattened to N x features, float32) and integer labels.
    epochs, lr, batch, snapshot_step
        As in :func:`fit`.
    seed : int or numpy.random.Generator
        Seeds the batch order, >= 0.
    threads : int or None
        torch threads during training (restored afterwards); ``None`` leaves them alone.
    progress : bool or None
        Show a bar over the steps (``None``: on a terminal and not in CI).

    Returns
    -------
    dict
        ``loss`` (mean training loss over the last epoch), ``steps``, and ``snapshot``
        (list of tensors, or ``None``).
    """
    x, y = flat_data(x_train, y_train, "training data")
    seed = as_int_seed(seed)
    if not any(p.requires_grad for p in net.parameters()):
        raise ValueError("net has no trainable parameters")
    out = fit(
        net, x, y, epochs, lr, batch, seed, progress,
        snapshot_step=snapshot_step, threads=threads,
    )  # fmt: skip
    return {"loss": out["loss"], "steps": out["steps"], "snapshot": out["snapshot"]}


# ---------------------------------------------------------------------------------------
# masks
# ---------------------------------------------------------------------------------------
def random_masks(shapes, density, seed: int = 0) -> list[torch.Tensor]:
    """Masks keeping ``round(density * size)`` weights of each layer (at least one), at random.

    Parameters
    ----------
    shapes : sequence of tuples
        The weight shapes.
    density : float or sequence of float
        Fraction kept, in (0, 1]: one for every layer, or one per layer.
    seed : int or numpy.random.Generator
        The kept positions of each layer are a uniformly random subset of the exact size,
        drawn from ``torch.Generator().manual_seed(seed)``.
    """
    shapes = [tuple(int(s) for s in shape) for shape in shapes]
    if isinstance(density, int | float | np.floating | np.integer):
        densities = [as_fraction(density, "density")] * len(shapes)
    else:
        densities = [as_fraction(d, "density") for d in density]
        if len(densities) != len(shapes):
            raise ValueError(f"density must give one value per layer ({len(shapes)})")
    gen = torch.Generator().manual_seed(as_int_seed(seed))
    out = []
    for shape, d in zip(shapes, densities, strict=True):
        size = math.prod(shape)
        if size < 1:
            raise ValueError(f"shapes must be non-empty, got {shape}")
        flat = torch.zeros(size, dtype=torch.bool)
        flat[torch.randperm(size, generator=gen)[: kept_count(size, d)]] = True
        out.append(flat.reshape(shape))
    return out


def pruning_schedule(
    sizes, rounds: int, fraction: float, last_fraction: float | None = None
) -> list[list[int]]:
    """Kept weights per layer after each round of :func:`magnitude_masks`, computed ahead.

    Entry ``r`` lists, layer by layer, how many weights :func:`imp` keeps after ``r`` rounds
    (entry 0: all of them). Used to give other methods exactly the same layer densities.
    """
    sizes = as_sizes(sizes)
    rounds = as_count(rounds, "rounds", 0)
    fraction = as_fraction(fraction, "fraction", allow_zero=True)
    last = fraction if last_fraction is None else as_fraction(last_fraction, "last_fraction", True)
    kept = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    out = [list(kept)]
    for _ in range(rounds):
        kept = [
            k - min(round((last if i == len(kept) - 1 else fraction) * k), k - 1)
            for i, k in enumerate(kept)
        ]
        out.append(list(kept))
    return out


def magnitude_masks(weights, masks, fraction: float, last_fraction: float | None = None):
    """Remove the ``fraction`` of each layer's kept weights that are smallest in magnitude.

    Layer by layer, ``round(fraction * kept)`` of the kept weights with the smallest
    ``|w|`` are removed (ties go to the lower flat index), at least one weight stays, and a
    removed weight never comes back. Frankle & Carbin (2019) prune the output layer of
    LeNet-300-100 at half the rate of the others: pass ``last_fraction``.

    Returns
    -------
    list of torch.Tensor of bool
    """
    fraction = as_fraction(fraction, "fraction", allow_zero=True)
    last = fraction if last_fraction is None else as_fraction(last_fraction, "last_fraction", True)
    weights = [torch.as_tensor(w).detach() for w in weights]
    masks = [torch.as_tensor(m).detach().bool() for m in masks]
    if [w.shape for w in weights] != [m.shape for m in masks]:
        raise ValueError("masks must have the shapes of the weights")
    out = []
    for i, (w, m) in enumerate(zip(weights, masks, strict=True)):
        f = last if i == len(weights) - 1 else fraction
        kept = int(m.sum())
        remove = min(round(f * kept), kept - 1) if kept else 0
        flat_m = m.flatten().clone()
        if remove > 0:
            idx = torch.nonzero(flat_m).flatten()
            mags = w.flatten()[idx].abs().double().numpy()
            order = np.argsort(mags, kind="stable")  # ties: lower index first
            flat_m[idx[torch.from_numpy(order[:remove])]] = False
        out.append(flat_m.reshape(m.shape))
    return out


def imp(
    x_train,
    y_train,
    x_test,
    y_test,
    rounds: int,
    fraction: float = 0.4,
    last_fraction: float | None = None,
    rewind="init",
    sizes=SIZES,
    epochs: int = 3,
    lr: float = 1.2e-3,
    batch: int = 60,
    seed: int = 0,
    threads: int | None = 1,
    progress=None,
    on_round: Callable[[dict], object] | None = None,
) -> list[dict]:
    """Iterative magnitude pruning: train, prune the smallest weights, repeat.

    Round 0 trains the dense network from its initialisation; every later round removes
    ``fraction`` of each layer's surviving weights by magnitude (:func:`magnitude_masks`) and
    trains again. What the survivors start the new round from is ``rewind``:

    - ``"none"``: their trained values (Han et al., 2015: prune, then fine-tune);
    - ``"init"``: their initial values (Frankle & Carbin, 2019: the mask applied to the
      original initialisation is the candidate lottery ticket);
    - an int ``k``: their values after ``k`` steps of the dense training of round 0
      (rewinding, Frankle et al., 2020).

    Parameters
    ----------
    x_train, y_train, x_test, y_test : array_like
        Training and test data.
    rounds : int
        Number of pruning rounds after the dense one, >= 0 (density ends near
        ``(1 - fraction) ** rounds``).
    fraction, last_fraction : float
        See :func:`magnitude_masks`.
    sizes : sequence of int
        Layer widths, input first.
    epochs, lr, batch, threads, progress
        See :func:`train`; every round trains for ``epochs`` with batch order seeded by
        ``seed + round``.
    seed : int or numpy.random.Generator
        Seeds the initial weights (:func:`init_weights`) and the batch orders.
    on_round : callable, optional
        Called with each round's record as soon as it is done.

    Returns
    -------
    list of dict
        One record per round: ``round``, ``density``, ``accuracy`` (test), ``loss``,
        ``masks`` (bool tensors), ``weights`` (trained, masked), ``init`` (the starting
        weights of the dense run).
    """
    rounds = as_count(rounds, "rounds", 0)
    # seed: the init, and seed + r each round's batch order
    seed, sizes, (x_train, y_train), (x_test, y_test) = problem(
        x_train, y_train, x_test, y_test, sizes, seed
    )
    progress = check_progress(progress)
    if isinstance(rewind, str):
        if rewind not in REWINDS:
            raise ValueError(f"rewind must be one of {REWINDS} or a step count, got {rewind!r}")
        snapshot_step = 0 if rewind == "init" else None
    else:
        snapshot_step = as_count(rewind, "rewind", 0)
    init = init_weights(sizes, seed)
    net = MaskedMLP(init)
    records = []
    bar = Bar(rounds + 1, "IMP rounds", progress)
    start = None
    for r in range(rounds + 1):
        if r > 0:
            masks = magnitude_masks(net.effective(), net.masks, fraction, last_fraction)
            weights = net.effective() if start is None else start
            net = MaskedMLP(weights, masks)
        out = train(
            net, x_train, y_train, epochs, lr, batch, seed + r,
            snapshot_step=snapshot_step if r == 0 else None, threads=threads, progress=False,
        )  # fmt: skip
        if r == 0 and snapshot_step is not None:
            start = out["snapshot"]
        rec = {
            "round": r,
            "density": net.density(),
            "accuracy": accuracy(net, x_test, y_test),
            "loss": out["loss"],
            "masks": [m.clone() for m in net.masks],
            "weights": net.effective(),
            "init": init,
        }
        records.append(rec)
        if on_round is not None:
            on_round(rec)
        bar.update()
    bar.close()
    return records
