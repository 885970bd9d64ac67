"""Training, iterative magnitude pruning, lottery tickets and edge-popup (thesis Section 4.1).

The experiments that led to the Strong Lottery Ticket Hypothesis, on fully connected ReLU
networks without biases (the class the SLTH constructions prune):

- :func:`train` trains a :class:`MaskedMLP` (weights multiplied by fixed 0/1 masks) with Adam,
  seeded and deterministic on CPU;
- :func:`random_masks` draws a sparse architecture with an exact number of kept weights per
  layer (the "sparse networks train badly" baseline);
- :func:`magnitude_masks` removes the smallest surviving weights of each layer, and
  :func:`imp` repeats train-prune rounds: iterative magnitude pruning (Han et al., 2015)
  when the survivors keep their trained values, lottery tickets (Frankle & Carbin, 2019)
  when they are rewound to their initial values (or to an early step of training) before
  each new round;
- :class:`EdgePopupMLP` and :func:`edge_popup` train by pruning alone (Ramanujan et al.,
  2020): every weight of a random network gets a score, the forward pass uses the top-k
  fraction of scores in each layer, and scores follow the gradient as if the mask were the
  identity (straight-through).

Keep fraction, not prune fraction. In the reference code of edge-popup
(allenai/hidden-networks) the option ``prune_rate`` is used as the fraction of weights
*kept* by the top-k mask, while its help text and the paper's wording read as the fraction
*removed* (their issue #9). Every function here takes ``keep`` or ``density``: the fraction
of weights that remain.

Reproducibility: with the same seed, the same data and the same number of threads, two
runs give identical weights (``torch.use_deterministic_algorithms``). Training runs with a
fixed thread count (default 1) so that a stored result does not depend on how many cores
the machine has; across CPUs with different vector kernels the last bits of a matrix
product differ, and training amplifies them, so accuracies agree only to within a few
tenths of a percent there, never bit for bit. Every ``seed`` is a non-negative int, or a
numpy Generator from which one int seed is drawn (torch generators take ints).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from rsslib._validate import as_count, as_int_seed
from rsslib.sweeps import show_progress

#: LeNet-300-100 (LeCun et al. 1998), the fully connected network of Frankle & Carbin (2019).
SIZES = (784, 300, 100, 10)
REWINDS = ("init", "none")


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
def _fraction(value, name: str, allow_zero: bool = False) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    low_ok = f >= 0 if allow_zero else f > 0
    if not (math.isfinite(f) and low_ok and f <= 1):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return f


def _sizes(sizes) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in sizes)
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be a sequence of positive integers, got {sizes!r}") from None
    if len(out) < 2 or min(out) < 1 or any(int(s) != s for s in sizes):
        raise ValueError(f"sizes must list at least two positive integers, got {sizes!r}")
    return out


def _data(x, y, name: str, features: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).flatten(1)
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    if x.ndim != 2 or len(x) == 0 or y.shape != (len(x),):
        raise ValueError(
            f"{name}: need N >= 1 inputs and N labels, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: inputs must be finite")
    if features is not None and x.shape[1] != features:
        raise ValueError(f"{name}: inputs must have {features} features, got {x.shape[1]}")
    if int(y.min()) < 0:
        raise ValueError(f"{name}: labels must be non-negative")
    return x, y


@contextlib.contextmanager
def _deterministic(threads: int | None):
    """Deterministic algorithms and a fixed thread count for the duration of a run."""
    previous = torch.get_num_threads()
    flag = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    if threads is not None:
        torch.set_num_threads(as_count(threads, "threads", 1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        torch.use_deterministic_algorithms(flag)


def _bar(total: int, desc: str, progress):
    if not show_progress(progress):
        return None
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False)


# ---------------------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------------------
def init_weights(sizes=SIZES, seed: int = 0) -> list[torch.Tensor]:
    """Kaiming-uniform initial weights (bound sqrt(6 / fan_in)) of a bias-free ReLU MLP.

    Layer i maps ``sizes[i]`` inputs to ``sizes[i + 1]`` outputs; its weight has shape
    ``(sizes[i + 1], sizes[i])``. Drawn from ``torch.Generator().manual_seed(seed)``.
    """
    sizes = _sizes(sizes)
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
    x, y = _data(x, y, "accuracy data")
    hits = 0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            hits += int((net(x[s : s + batch]).argmax(1) == y[s : s + batch]).sum())
    return hits / len(x)


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
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
    """Train ``net``'s parameters in place with Adam on the cross-entropy loss.

    Adam with learning rate 1.2e-3 and batches of 60 is Frankle & Carbin's (2019) setting
    for LeNet-300-100. Batches are drawn in a random order from
    ``torch.Generator().manual_seed(seed)``.

    Parameters
    ----------
    net : torch.nn.Module
        A :class:`MaskedMLP` or :class:`EdgePopupMLP` (only its ``requires_grad``
        parameters move: the weights of the first, the scores of the second).
    x_train, y_train : array_like
        Inputs (flattened to N x features) and integer labels.
    epochs : int
        Passes over the data, >= 1.
    lr : float
        Adam's learning rate, > 0.
    batch : int
        Batch size, >= 1.
    seed : int or numpy.random.Generator
        Seeds the batch order, >= 0.
    snapshot_step : int, optional
        Also return a copy of the parameters after this many optimizer steps (0: before the
        first), for rewinding to an early point of training (Frankle et al., 2020).
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
    x, y = _data(x_train, y_train, "training data")
    epochs = as_count(epochs, "epochs", 1)
    batch = as_count(batch, "batch", 1)
    seed = as_int_seed(seed)
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if snapshot_step is not None:
        snapshot_step = as_count(snapshot_step, "snapshot_step", 0)
    params = [p for p in net.parameters() if p.requires_grad]
    if not params:
        raise ValueError("net has no trainable parameters")
    steps_per_epoch = (len(x) + batch - 1) // batch
    bar = _bar(epochs * steps_per_epoch, "training", progress)
    snapshot = None
    step = 0
    with _deterministic(threads):
        opt = torch.optim.Adam(params, lr=lr)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=gen)
            total = 0.0
            for s in range(0, len(x), batch):
                if step == snapshot_step:
                    snapshot = [p.detach().clone() for p in params]
                idx = order[s : s + batch]
                loss = F.cross_entropy(net(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
                total += float(loss.detach()) * len(idx)
                if bar is not None:
                    bar.update(1)
        if step == snapshot_step:
            snapshot = [p.detach().clone() for p in params]
    if bar is not None:
        bar.close()
    if snapshot_step is not None and snapshot is None:
        raise ValueError(f"snapshot_step {snapshot_step} is beyond the {step} steps of training")
    return {"loss": total / len(x), "steps": step, "snapshot": snapshot}


# ---------------------------------------------------------------------------------------
# masks
# ---------------------------------------------------------------------------------------
def _kept_count(size: int, density: float) -> int:
    # at least one weight per layer, so a layer is never cut off entirely
    return max(1, round(density * size))


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
        densities = [_fraction(density, "density")] * len(shapes)
    else:
        densities = [_fraction(d, "density") for d in density]
        if len(densities) != len(shapes):
            raise ValueError(f"density must give one value per layer ({len(shapes)})")
    gen = torch.Generator().manual_seed(as_int_seed(seed))
    out = []
    for shape, d in zip(shapes, densities, strict=True):
        size = math.prod(shape)
        if size < 1:
            raise ValueError(f"shapes must be non-empty, got {shape}")
        flat = torch.zeros(size, dtype=torch.bool)
        flat[torch.randperm(size, generator=gen)[: _kept_count(size, d)]] = True
        out.append(flat.reshape(shape))
    return out


def pruning_schedule(
    sizes, rounds: int, fraction: float, last_fraction: float | None = None
) -> list[list[int]]:
    """Kept weights per layer after each round of :func:`magnitude_masks`, computed ahead.

    Entry ``r`` lists, layer by layer, how many weights :func:`imp` keeps after ``r`` rounds
    (entry 0: all of them). Used to give other methods exactly the same layer densities.
    """
    sizes = _sizes(sizes)
    rounds = as_count(rounds, "rounds", 0)
    fraction = _fraction(fraction, "fraction", allow_zero=True)
    last = fraction if last_fraction is None else _fraction(last_fraction, "last_fraction", True)
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
    fraction = _fraction(fraction, "fraction", allow_zero=True)
    last = fraction if last_fraction is None else _fraction(last_fraction, "last_fraction", True)
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
    seed = as_int_seed(seed)  # seeds the init, and seed + r each round's batch order
    sizes = _sizes(sizes)
    x_train, y_train = _data(x_train, y_train, "training data", sizes[0])
    x_test, y_test = _data(x_test, y_test, "test data", sizes[0])
    if isinstance(rewind, str):
        if rewind not in REWINDS:
            raise ValueError(f"rewind must be one of {REWINDS} or a step count, got {rewind!r}")
        snapshot_step = 0 if rewind == "init" else None
    else:
        snapshot_step = as_count(rewind, "rewind", 0)
    init = init_weights(sizes, seed)
    net = MaskedMLP(init)
    records = []
    bar = _bar(rounds + 1, "IMP rounds", progress)
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
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return records


# ---------------------------------------------------------------------------------------
# edge-popup
# ---------------------------------------------------------------------------------------
class _TopK(torch.autograd.Function):
    """0/1 mask of the ``keep`` fraction of largest scores; gradient passed straight through."""

    @staticmethod
    def forward(ctx, scores, keep):
        flat = scores.detach().flatten()
        mask = torch.zeros_like(flat)
        mask[torch.topk(flat, _kept_count(flat.numel(), keep), sorted=False).indices] = 1.0
        return mask.reshape(scores.shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class EdgePopupMLP(torch.nn.Module):
    """A random bias-free ReLU MLP trained by choosing which weights to keep (edge-popup).

    The weights are fixed (buffers); each has a trainable score. The forward pass keeps, in
    each layer, the ``keep`` fraction of weights with the largest ``|score|``. The gradient
    of the loss with respect to a score is taken as that with respect to the mask entry,
    ``dL/ds_uv = dL/dI_v * w_uv * Z_u`` (input ``I_v`` of neuron v, output ``Z_u`` of
    neuron u): the update rule quoted in thesis Section 4.1 (Ramanujan et al., 2020).

    Parameters
    ----------
    weights : sequence of torch.Tensor
        The random weights; copied and frozen.
    keep : float
        Fraction of each layer's weights kept, in (0, 1].
    seed : int or numpy.random.Generator
        Seeds the initial scores (Kaiming-uniform, like the weights).
    scale : bool
        Multiply the weights by ``1 / sqrt(keep)``, so that a layer's output keeps its
        scale when only a fraction of its inputs remain (Ramanujan et al.'s "scaled"
        initialisations). With ``keep = 1`` this changes nothing.
    """

    def __init__(self, weights, keep: float, seed: int = 0, scale: bool = True):
        super().__init__()
        self.keep = _fraction(keep, "keep")
        factor = 1.0 / math.sqrt(self.keep) if scale else 1.0
        ws = [torch.as_tensor(w, dtype=torch.float32).detach().clone() * factor for w in weights]
        MaskedMLP(ws)  # validates shapes
        for i, w in enumerate(ws):
            self.register_buffer(f"w{i}", w)
        self.layers = len(ws)
        self.scores = torch.nn.ParameterList(
            torch.nn.Parameter(s)
            for s in init_weights([w.shape[1] for w in ws] + [ws[-1].shape[0]], seed)
        )

    def weight(self, i: int) -> torch.Tensor:
        return getattr(self, f"w{i}")

    def masks(self) -> list[torch.Tensor]:
        """The current top-k masks (bool)."""
        return [_TopK.apply(s.abs(), self.keep).bool() for s in self.scores]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for i, s in enumerate(self.scores):
            # |score| ranks the weights; the gradient reaches s through abs (times its sign)
            x = x @ (self.weight(i) * _TopK.apply(s.abs(), self.keep)).T
            if i < self.layers - 1:
                x = F.relu(x)
        return x

    def subnetwork(self) -> MaskedMLP:
        """The selected subnetwork as a :class:`MaskedMLP` (same weights, top-k masks)."""
        return MaskedMLP([self.weight(i) for i in range(self.layers)], self.masks())


def edge_popup(
    x_train,
    y_train,
    x_test,
    y_test,
    keep: float,
    sizes=SIZES,
    epochs: int = 3,
    lr: float = 1e-3,
    batch: int = 60,
    seed: int = 0,
    threads: int | None = 1,
    progress=None,
) -> dict:
    """Train the scores of a random network (:func:`init_weights` with ``seed``) by edge-popup.

    Adam on the scores (learning rate 1e-3: on LeNet-300-100 with half the weights kept,
    one epoch reached 0.839 test accuracy at 1e-3 against 0.794 at 1e-2).

    Returns
    -------
    dict
        ``keep``, ``density`` (of the selected subnetwork), ``accuracy`` (test, of the
        subnetwork), ``random_accuracy`` (test, of the dense random network it was cut
        from), ``loss``, ``net`` (the trained :class:`EdgePopupMLP`).
    """
    seed = as_int_seed(seed)  # init_weights(seed), scores seed + 1, batch order seed
    sizes = _sizes(sizes)
    x_train, y_train = _data(x_train, y_train, "training data", sizes[0])
    x_test, y_test = _data(x_test, y_test, "test data", sizes[0])
    weights = init_weights(sizes, seed)
    net = EdgePopupMLP(weights, keep, seed=seed + 1)
    out = train(net, x_train, y_train, epochs, lr, batch, seed, threads=threads, progress=progress)
    sub = net.subnetwork()
    return {
        "keep": net.keep,
        "density": sub.density(),
        "accuracy": accuracy(net, x_test, y_test),
        "random_accuracy": accuracy(MaskedMLP(weights), x_test, y_test),
        "loss": out["loss"],
        "net": net,
    }
