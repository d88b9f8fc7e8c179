"""Independent reference implementations in plain Python floats.

Written from the published definitions (PyTorch's `lr_scheduler` docs and
source semantics, Keras's schedule docs, Hugging Face's WSD), one step at a
time with Python `if`s, sharing no code with keras_lr.
"""

import itertools
import math


def cyclical(t, base, peak, up, down, mode="triangular", gamma=1.0):
    # PyTorch CyclicLR.get_lr with last_epoch = t.
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    height = (peak - base) * scale
    if mode == "triangular":
        return base + height
    if mode == "triangular2":
        return base + height * 0.5 ** (cycle - 1)
    return base + height * gamma**t


def one_cycle(t, peak, total, pct_start=0.3, div=25.0, final_div=1e4,
              strategy="cosine", three_phase=False):
    # PyTorch OneCycleLR.get_lr, except that t >= total holds the last value.
    t = min(t, total - 1)
    initial = peak / div
    final = initial / final_div
    if three_phase:
        phases = [(pct_start * total - 1, initial, peak),
                  (2 * pct_start * total - 2, peak, initial),
                  (total - 1, initial, final)]
    else:
        phases = [(pct_start * total - 1, initial, peak), (total - 1, peak, final)]
    begin = 0.0
    for i, (end, lo, hi) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            pct = (t - begin) / (end - begin) if end != begin else 1.0
            if strategy == "cosine":
                return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (hi - lo) * pct + lo
        begin = end


def warm_restarts(t, initial, period, t_mul=1.0, m_mul=1.0, alpha=0.0, cycle_limit=None):
    # Walk the cycles one by one (SGDR), Keras's amplitude convention.
    start, length, i = 0.0, float(period), 0
    if t_mul == 1.0:
        i = t // period
        start = i * period
    while t >= start + length:
        start += length
        length *= t_mul
        i += 1
    if cycle_limit is not None and i >= cycle_limit:
        return initial * alpha
    done = (t - start) / length
    cos = 0.5 * (1 + math.cos(math.pi * done)) * m_mul**i
    return initial * (alpha + (1 - alpha) * cos)


def step_decay(t, initial, every, rate):
    return initial * rate ** (t // every)


def multi_step(t, initial, boundaries, rate):
    return initial * rate ** sum(1 for b in boundaries if t >= b)


def inverse_sqrt(t, initial, decay_steps, rate=1.0):
    return initial / math.sqrt(1 + rate * t / decay_steps)


def warmup(t, inner, warmup_steps, start_factor=None, shape="linear", shift=True):
    target = inner(0) if shift else inner(warmup_steps)
    if t >= warmup_steps:
        return inner(t - warmup_steps) if shift else inner(t)
    if start_factor is None:
        start_factor = 1 / (warmup_steps + 1)
    start = start_factor * target
    p = t / warmup_steps
    if shape == "linear":
        return start + (target - start) * p
    return start + (target - start) * (1 - math.cos(math.pi * p)) / 2


def wsd(t, peak, warm, stable, decay, shape="cosine", alpha=0.0):
    # Hugging Face get_wsd_schedule, but warmup starts at peak / (warm + 1).
    if t < warm:
        return peak * (t + 1) / (warm + 1)
    if t < warm + stable:
        return peak
    p = min((t - warm - stable) / decay, 1.0)
    factor = {"linear": 1 - p,
              "cosine": 0.5 * (1 + math.cos(math.pi * p)),
              "1-sqrt": 1 - math.sqrt(p)}[shape]
    return peak * (alpha + (1 - alpha) * factor)


def sequential(t, children, boundaries):
    start = 0
    for child, end in zip(children, [*boundaries, math.inf], strict=False):
        if t < end:
            return child(t - start)
        start = end


def interpolated(t, points, shape="linear"):
    # Between consecutive (step, rate) points; the end points' rates outside them.
    if t <= points[0][0]:
        return points[0][1]
    for (s0, r0), (s1, r1) in itertools.pairwise(points):
        if t <= s1:
            pct = (t - s0) / (s1 - s0)
            if shape == "cosine":
                pct = (1 - math.cos(math.pi * pct)) / 2
            return r0 + (r1 - r0) * pct
    return points[-1][1]


def tabulated(t, values, every):
    return values[min(t // every, len(values) - 1)]


def fastai_valley_index(losses):
    # fastai.callback.schedule.valley, line by line.
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def fastai_window(lrs, losses, num_it):
    # fastai's Learner.lr_find: recorder.lrs[num_it//10:-5], cut at the first NaN loss.
    lrs, losses = list(lrs)[num_it // 10: -5], list(losses)[num_it // 10: -5]
    for i, loss in enumerate(losses):
        if math.isnan(loss):
            return lrs[:i], losses[:i]
    return lrs, losses


# --- peers' formulas, transcribed from their source ----------------------------------------------

def timm_cosine(t, base, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
                warmup_t=0, warmup_lr_init=0.0, warmup_prefix=False, k_decay=1.0):
    # timm/scheduler/cosine_lr.py, CosineLRScheduler._get_lr (pytorch-image-models, commit
    # 16664ea), for one parameter group with base value `base`, line by line.
    if warmup_t:
        warmup_step = (base - warmup_lr_init) / warmup_t
    if t < warmup_t:
        return warmup_lr_init + t * warmup_step
    if warmup_prefix:
        t = t - warmup_t
    if cycle_mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
        t_i = cycle_mul**i * t_initial
        t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - (t_initial * i)
    lr_max = base * cycle_decay**i
    if i < cycle_limit:
        return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr**k_decay
                                                               / t_i**k_decay))
    return lr_min


def hf_wsd(t, lr, num_warmup_steps, num_stable_steps, num_decay_steps, warmup_type="linear",
           decay_type="cosine", min_lr_ratio=0.0, num_cycles=0.5):
    # transformers/optimization.py, _get_wsd_scheduler_lambda, times the optimizer's lr
    # (LambdaLR).
    if t < num_warmup_steps:
        progress = float(t) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return lr * max(0.0, factor)
    if t < num_warmup_steps + num_stable_steps:
        return lr
    if t < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(t - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return lr * max(0.0, factor)
    return lr * min_lr_ratio


def hf_hard_restarts(t, lr, num_warmup_steps, num_training_steps, num_cycles):
    # transformers/optimization.py,
    # _get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda, times the optimizer's lr.
    if t < num_warmup_steps:
        return lr * float(t) / float(max(1, num_warmup_steps))
    progress = float(t - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    if progress >= 1.0:
        return 0.0
    return lr * max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def timm_step(t, base, decay_t, decay_rate, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True,
              milestones=None):
    # timm/scheduler/step_lr.py StepLRScheduler._get_lr, or with `milestones`
    # timm/scheduler/multistep_lr.py MultiStepLRScheduler._get_lr: timm 1.0.31's
    # get_curr_decay_steps is bisect_right(decay_t, t + 1) ("milestone m applies at
    # t == m - 1", kept for compatibility), one step before PyTorch's MultiStepLR.
    if t < warmup_t:
        return warmup_lr_init + t * (base - warmup_lr_init) / warmup_t
    if warmup_prefix:
        t = t - warmup_t
    if milestones is not None:
        return base * decay_rate ** sum(1 for m in milestones if m <= t + 1)
    return base * decay_rate ** (t // decay_t)


def torch_rates(make, n, lr=1.0, momentum=0.0):
    """The rate PyTorch's scheduler `make(torch.optim.lr_scheduler, optimizer)` gives an SGD
    optimizer at each of the first `n` updates (the test is skipped without torch)."""
    import numpy as np
    import pytest

    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr, momentum=momentum)
    sched = make(torch.optim.lr_scheduler, opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)

