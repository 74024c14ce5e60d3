"""Hidden tests of exercise 9, Regularisation: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it.
"""

from __future__ import annotations

import numpy as np

import nnlib.callbacks as nn_callbacks
import nnlib.layers as nn_layers
import nnlib.optimizers as nn_opt
import nnlib.regularizers as nn_reg
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function

DROPOUT_HINT = "See the chapter 'Regularisation', section 'Dropout'."
BATCHNORM_HINT = "See the chapter 'Regularisation', section 'Batch normalisation'."
L1_L2_HINT = "See the chapter 'Regularisation', section 'L1 and L2'."
EARLY_STOPPING_HINT = "See the chapter 'Regularisation', section 'Early stopping'."
DECAY_HINT = "See the chapter 'Regularisation', section 'Under Adam, L2 is not weight decay'."
CLIP_HINT = "See the chapter 'Regularisation', section 'Gradient clipping'."


def reference_dropout_forward(x, rate, rng):
    layer = nn_layers.Dropout(rate, seed=rng)
    layer.build(x.shape[1], rng)
    out = layer.forward(x, training=True)
    return out, (np.ones_like(x) if layer.mask is None else layer.mask)


def dropout_with(keep_where, scale):
    """A wrong dropout: keep_where(u, rate) picks the kept entries, scale(rate) multiplies them."""
    def forward(x, rate, rng):
        kept = keep_where(rng.random(x.shape), rate)
        mask = kept * scale(rate)
        return x * mask, mask
    return forward


def unscaled_mask(x, rate, rng):
    out, mask = reference_dropout_forward(x, rate, rng)
    return out, (mask != 0).astype(float)


def check_dropout(student, rng):
    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    settings = [((5, 4), 0.5), ((1, 10), 0.2), ((50, 20), 0.8), ((6, 3), 0.0), ((30, 8), 0.1),
                ((int(rng.integers(2, 50)), int(rng.integers(2, 20))), round(float(rng.uniform(0.05, 0.95)), 2))]
    cases = [(rng.normal(size=shape), rate, generator()) for shape, rate in settings]
    forward = student.function("dropout_forward")
    check_function(
        forward, reference_dropout_forward, name="dropout_forward", cases=cases,
        mistakes=[
            Mistake("the kept entries are not scaled by 1 / (1 - rate): the expected output shrinks to "
                    "(1 - rate) x", dropout_with(lambda u, r: u < 1 - r, lambda r: 1.0), DROPOUT_HINT),
            Mistake("rate was used as the probability of keeping an entry: it is the probability of dropping it",
                    dropout_with(lambda u, r: u < r, lambda r: 1.0 / r if r else 1.0), DROPOUT_HINT),
            Mistake("rate was used as the probability of keeping an entry (u < rate): it is the probability "
                    "of dropping it", dropout_with(lambda u, r: u < r, lambda r: 1.0 / (1.0 - r)), DROPOUT_HINT),
            Mistake("the entries with u >= rate were kept: right on average, but this exercise keeps exactly "
                    "those with u < 1 - rate so that the masks can be compared (see step 2)",
                    dropout_with(lambda u, r: u >= r, lambda r: 1.0 / (1.0 - r)), DROPOUT_HINT),
            Mistake("the kept entries were multiplied by 1 - rate, the old test-time scaling: inverted dropout "
                    "divides by 1 - rate in training", dropout_with(lambda u, r: u < 1 - r, lambda r: 1.0 - r),
                    DROPOUT_HINT),
            Mistake("the mask returned holds 0s and 1s: return the scaled mask, 0 or 1 / (1 - rate), the "
                    "factor each entry was multiplied by", unscaled_mask, DROPOUT_HINT),
        ],
    )
    check_function(
        forward, reference_dropout_forward, name="dropout_forward", rtol=1e-5, atol=1e-6,
        cases=[(rng.normal(size=(4, 5)).astype(np.float32), 0.3, generator())],  # float32 precision
    )
    backward_cases = [(rng.normal(size=x.shape), reference_dropout_forward(x, rate, drawn_with)[1])
                      for x, rate, drawn_with in cases]
    check_function(
        student.function("dropout_backward", substitutes={"dropout_forward": reference_dropout_forward}),
        lambda grad, mask: grad * mask, name="dropout_backward", cases=backward_cases,
        mistakes=[
            Mistake("the gradient was returned unchanged: the dropped entries did not affect the output, so "
                    "their gradient is 0", lambda grad, mask: grad, DROPOUT_HINT),
            Mistake("the gradient was zeroed where dropped but not scaled by 1 / (1 - rate): the forward pass "
                    "multiplied each kept entry by the mask, so the backward pass does too",
                    lambda grad, mask: grad * (mask != 0), DROPOUT_HINT),
        ],
    )


def reference_batchnorm_forward(x, gamma, beta, eps):
    layer = nn_layers.BatchNormalization(epsilon=eps)
    layer.build(x.shape[1], np.random.default_rng(0), x.dtype)
    layer.set_weights([gamma, beta, np.zeros_like(gamma), np.ones_like(gamma)])
    return layer.forward(x, training=True)


def normalised_with(mean, variance, scale=lambda v, eps: np.sqrt(v + eps)):
    def forward(x, gamma, beta, eps):
        return gamma * (x - mean(x)) / scale(variance(x), eps) + beta
    return forward


def per_feature_mean(x):
    return x.mean(axis=0)


def per_feature_var(x):
    return x.var(axis=0)


def check_batchnorm(student, rng):
    cases = [(rng.normal(3, 2, (8, 3)), rng.normal(1, 0.5, 3), rng.normal(0, 1, 3), 1e-3),
             (rng.normal(-1, 5, (2, 4)), rng.normal(1, 0.5, 4), rng.normal(0, 1, 4), 1e-3),
             (rng.normal(5, 3, (50, 10)), rng.normal(1, 0.5, 10), rng.normal(0, 1, 10), 1e-5),
             (np.c_[rng.normal(0, 0.01, (6, 2)), np.full(6, 4.0)], np.ones(3), np.zeros(3), 1e-3),  # tiny, zero var
             (rng.normal(0, 1, (5, 5)), rng.normal(1, 0.5, 5), rng.normal(0, 1, 5), 0.1)]
    forward = student.function("batchnorm_forward")
    check_function(
        forward, reference_batchnorm_forward, name="batchnorm_forward", cases=cases,
        mistakes=[
            Mistake("the unbiased variance (dividing by n - 1) was used: batch normalisation divides by n",
                    normalised_with(per_feature_mean, lambda x: x.var(axis=0, ddof=1)), BATCHNORM_HINT),
            Mistake("the statistics were taken over each sample's features (axis 1): batch normalisation "
                    "normalises each feature over the batch (axis 0)",
                    normalised_with(lambda x: x.mean(axis=1, keepdims=True), lambda x: x.var(axis=1, keepdims=True)),
                    BATCHNORM_HINT),
            Mistake("eps was added outside the square root: the denominator is sqrt(variance + eps)",
                    normalised_with(per_feature_mean, per_feature_var, lambda v, eps: np.sqrt(v) + eps),
                    BATCHNORM_HINT),
            Mistake("the result was divided by the variance + eps, not by its square root",
                    normalised_with(per_feature_mean, per_feature_var, lambda v, eps: v + eps), BATCHNORM_HINT),
            Mistake("gamma and beta were not applied: y = gamma x_hat + beta",
                    lambda x, gamma, beta, eps: reference_batchnorm_forward(x, np.ones_like(gamma),
                                                                            np.zeros_like(beta), eps),
                    BATCHNORM_HINT),
            Mistake("gamma and beta were swapped: y = gamma x_hat + beta",
                    lambda x, gamma, beta, eps: reference_batchnorm_forward(x, beta, gamma, eps), BATCHNORM_HINT),
        ],
    )
    check_function(
        forward, reference_batchnorm_forward, name="batchnorm_forward", rtol=1e-4, atol=1e-5,
        cases=[(rng.normal(2, 3, (16, 4)).astype(np.float32), np.ones(4, np.float32), np.zeros(4, np.float32), 1e-3)],
    )


def reference_penalty(W, l1, l2):
    return nn_reg.L1L2(l1=l1, l2=l2)(W)


def reference_gradient(W, l1, l2):
    return nn_reg.L1L2(l1=l1, l2=l2).gradient(W)


def check_l1_l2(student, rng):
    cases = [(rng.normal(size=(4, 3)), 0.01, 0.02), (rng.normal(size=(5,)), 0.1, 0.05),
             (rng.normal(size=(2, 3, 2)), 0.3, 0.0), (rng.normal(size=(3, 3)), 0.0, 0.2),
             (rng.normal(size=(1, 1)), 0.5, 0.5)]
    with_zeros = rng.normal(size=(4, 5))
    with_zeros[::2, 1::2] = 0.0
    zero_cases = [(with_zeros, 0.05, 0.01), (np.zeros((2, 3)), 0.1, 0.1)]
    check_function(
        student.function("l1_l2_penalty"), reference_penalty, name="l1_l2_penalty", cases=cases + zero_cases,
        mistakes=[
            Mistake("the L1 term sums w, not |w|: negative weights must add to the penalty too",
                    lambda W, l1, l2: float(l1 * np.sum(W) + l2 * np.sum(W**2)), L1_L2_HINT),
            Mistake("the L2 term has a factor 1/2: Keras's l2 penalty is l2 * sum w^2",
                    lambda W, l1, l2: float(l1 * np.sum(np.abs(W)) + 0.5 * l2 * np.sum(W**2)), L1_L2_HINT),
            Mistake("the L2 term is l2 times the norm sqrt(sum w^2): it is l2 times the sum of squares",
                    lambda W, l1, l2: float(l1 * np.sum(np.abs(W)) + l2 * np.sqrt(np.sum(W**2))), L1_L2_HINT),
            Mistake("the penalties were averaged over the weights: they are sums",
                    lambda W, l1, l2: float(l1 * np.mean(np.abs(W)) + l2 * np.mean(W**2)), L1_L2_HINT),
            Mistake("l1 and l2 were swapped", lambda W, l1, l2: reference_penalty(W, l2, l1), L1_L2_HINT),
        ],
    )
    gradient = student.function("l1_l2_gradient", substitutes={"l1_l2_penalty": reference_penalty})
    check_function(
        gradient, reference_gradient, name="l1_l2_gradient", cases=cases,
        mistakes=[
            Mistake("the factor 2 is missing in the L2 gradient: d(l2 w^2)/dw = 2 l2 w",
                    lambda W, l1, l2: l1 * np.sign(W) + l2 * W, L1_L2_HINT),
            Mistake("sign(w) is missing in the L1 gradient: d(l1 |w|)/dw = l1 sign(w), not l1 w",
                    lambda W, l1, l2: l1 * W + 2 * l2 * W, L1_L2_HINT),
            Mistake("the L1 gradient is the constant l1: d|w|/dw is sign(w), -1 for negative weights",
                    lambda W, l1, l2: l1 + 2 * l2 * W, L1_L2_HINT),
            Mistake("the penalty's value was returned, not its gradient",
                    lambda W, l1, l2: reference_penalty(W, l1, l2), L1_L2_HINT),
        ],
    )
    try:
        got = gradient(with_zeros.copy(), 0.05, 0.01)
    except StudentError as error:
        raise CheckFailed(error.describe("l1_l2_gradient(W with some weights exactly 0, 0.05, 0.01)")) from None
    try:
        finite = bool(np.all(np.isfinite(np.asarray(got, dtype=float))))
    except (TypeError, ValueError):
        finite = True  # not numbers: the comparison below says what was expected
    if not finite:
        raise CheckFailed(
            "l1_l2_gradient of a W with some weights exactly 0 returned nan: it looks like sign(w) was computed as "
            f"w / |w|, which is 0 / 0 at w = 0. Use np.sign(W), which is 0 there. {L1_L2_HINT}")
    check_function(gradient, reference_gradient, name="l1_l2_gradient", cases=zero_cases)


class FakeModel:
    """Just what EarlyStopping touches: stop_training and the weights (here the epoch number)."""

    def __init__(self):
        self.stop_training, self.weights = False, [np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def reference_early_stopping(val_losses, patience, min_delta):
    """Drive nnlib's EarlyStopping callback (restore_best_weights=True) as fit would, one epoch at a time."""
    stopper = nn_callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                         restore_best_weights=True)
    model = FakeModel()
    stopper.set_model(model)
    stopper.set_params({"epochs": len(val_losses), "metrics": ["loss", "val_loss"]})
    stopper.on_train_begin()
    for epoch, value in enumerate(val_losses):
        model.weights = [np.array([float(epoch)])]
        stopper.on_epoch_end(epoch, {"loss": 0.0, "val_loss": value})
        if model.stop_training:
            break
    stopper.on_train_end()
    return epoch, int(model.weights[0][0])  # the restored weights say which epoch was the best


def replay(val_losses, patience, min_delta, *, improved=lambda loss, best, d: loss < best - d, stop_after=0,
           against_previous=False):
    """A wrong replay: another improvement test, a stop one epoch late, or comparing with the previous epoch."""
    best, best_epoch, wait = val_losses[0], 0, 0
    for epoch in range(1, len(val_losses)):
        reference = val_losses[epoch - 1] if against_previous else best
        if improved(val_losses[epoch], reference, min_delta):
            best, best_epoch, wait = val_losses[epoch], epoch, 0
        else:
            wait += 1
            if wait >= patience + stop_after:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


def curve(rng, epochs, turn, noise):
    """A validation loss that falls, then rises (overfitting), with noise; rounded to read easily."""
    t = np.arange(epochs)
    return [round(float(v), 3)
            for v in 1.0 / (1 + 0.5 * t) + 0.01 * np.maximum(t - turn, 0) + rng.normal(0, noise, epochs)]


def check_early_stopping(student, rng):
    cases = [
        ([1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.74, 0.76], 2, 0.0),
        ([1.0, 0.98, 0.97, 0.5, 0.49, 0.48, 0.6], 1, 0.05),
        ([1.0, 0.9, 0.9, 0.8, 0.8, 0.8, 0.7], 2, 0.0),
        ([2.0, 1.5, 1.4, 1.38, 1.37, 1.36, 1.35, 1.34], 3, 0.02),
        ([0.5, 0.6, 0.4, 0.3, 0.7], 0, 0.0),
        ([0.5], 2, 0.0),
        ([3.0, 2.0, 1.0, 0.5], 1, 0.0),
        (curve(rng, 40, 12, 0.01), 3, 0.0),
        (curve(rng, 60, 20, 0.02), 5, 0.005),
        (curve(rng, 30, 8, 0.005), 1, 0.001),
    ]
    check_function(
        student.function("early_stopping_epoch"), reference_early_stopping, name="early_stopping_epoch", cases=cases,
        mistakes=[
            Mistake("training stops one epoch late: it stops as soon as wait >= patience, not when wait > patience",
                    lambda v, p, d: replay(v, p, d, stop_after=1), EARLY_STOPPING_HINT),
            Mistake("training stops one epoch early: wait counts the epochs without improvement, and it stops "
                    "when wait >= patience", lambda v, p, d: replay(v, p, d, stop_after=-1), EARLY_STOPPING_HINT),
            Mistake("min_delta is ignored: an improvement must beat the best by more than min_delta",
                    lambda v, p, d: replay(v, p, 0.0), EARLY_STOPPING_HINT),
            Mistake("min_delta was added the wrong way: an improvement needs loss < best - min_delta",
                    lambda v, p, d: replay(v, p, d, improved=lambda loss, best, dd: loss < best + dd),
                    EARLY_STOPPING_HINT),
            Mistake("the best epoch returned is the last epoch: it is the epoch of the last improvement",
                    lambda v, p, d: (replay(v, p, d)[0],) * 2, EARLY_STOPPING_HINT),
            Mistake("the best epoch is the epoch of the smallest loss: with min_delta, only an improvement by "
                    "more than min_delta becomes the best",
                    lambda v, p, d: (replay(v, p, d)[0], int(np.argmin(v[:replay(v, p, d)[0] + 1]))),
                    EARLY_STOPPING_HINT),
            Mistake("a loss equal to the best was counted as an improvement: it must be strictly lower",
                    lambda v, p, d: replay(v, p, d, improved=lambda loss, best, dd: loss <= best - dd),
                    EARLY_STOPPING_HINT),
            Mistake("each loss was compared with the previous epoch's, not with the best so far",
                    lambda v, p, d: replay(v, p, d, against_previous=True), EARLY_STOPPING_HINT),
        ],
    )


def reference_sgd_step(w, g, lr, *, lam=0.0, wd=None):
    """One step of nnlib's SGD: with an L2 penalty lam (its gradient added to g) or weight_decay=wd."""
    w, g = np.array(w, dtype=float), np.asarray(g, dtype=float)
    grad = g + nn_reg.L2(lam).gradient(w) if lam else g
    nn_opt.SGD(lr, weight_decay=wd).apply([grad], [w])
    return w


def check_weight_decay(student, rng):
    def cases():
        drawn = [(rng.normal(size=shape), rng.normal(size=shape), float(lr), float(strength))
                 for shape, lr, strength in [((4,), 0.1, 0.5), ((3, 2), 0.01, 0.05), ((2, 2, 3), 0.3, 1.0),
                                             ((5,), rng.uniform(0.001, 0.5), rng.uniform(0.01, 2.0))]]
        return [*drawn,
                (np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1, 0.5),   # the visible check
                (np.zeros((2, 2)), rng.normal(size=(2, 2)), 0.1, 0.3),     # w = 0: nothing to decay
                (rng.normal(size=(3,)), np.zeros(3), 0.2, 0.4)]            # g = 0: decay alone
    l2_cases, wd_cases = cases(), cases()
    check_function(
        student.function("sgd_step_l2"), lambda w, g, lr, lam: reference_sgd_step(w, g, lr, lam=lam),
        name="sgd_step_l2", cases=l2_cases,
        mistakes=[
            Mistake("the factor 2 is missing: the gradient of lam * sum w^2 is 2 lam w",
                    lambda w, g, lr, lam: w - lr * (g + lam * w), DECAY_HINT),
            Mistake("the penalty's value lam * sum w^2 was added to the gradient, not its gradient 2 lam w",
                    lambda w, g, lr, lam: w - lr * (g + lam * np.sum(w**2)), DECAY_HINT),
            Mistake("the penalty's gradient has the wrong sign: it pulls the weights towards 0",
                    lambda w, g, lr, lam: w - lr * (g - 2 * lam * w), DECAY_HINT),
            Mistake("the penalty was applied to the gradient, 2 lam g, not to the weights",
                    lambda w, g, lr, lam: w - lr * (g + 2 * lam * g), DECAY_HINT),
        ],
    )
    check_function(
        student.function("sgd_step_weight_decay"), lambda w, g, lr, wd: reference_sgd_step(w, g, lr, wd=wd),
        name="sgd_step_weight_decay", cases=wd_cases,
        mistakes=[
            Mistake("the decay was applied to the gradient (w - lr (g + wd g)): weight decay shrinks the weights",
                    lambda w, g, lr, wd: w - lr * (g + wd * g), DECAY_HINT),
            Mistake("the decay is missing the learning rate: the factor is 1 - lr wd, not 1 - wd",
                    lambda w, g, lr, wd: (1 - wd) * w - lr * g, DECAY_HINT),
            Mistake("2 wd w was added to the gradient, the L2 penalty with lam = wd: decoupled decay "
                    "with wd equals L2 with lam = wd / 2", lambda w, g, lr, wd: w - lr * (g + 2 * wd * w), DECAY_HINT),
            Mistake("the decay has the wrong sign: the factor is 1 - lr wd, which shrinks the weights",
                    lambda w, g, lr, wd: (1 + lr * wd) * w - lr * g, DECAY_HINT),
            Mistake("the weights were decayed but the data's gradient step is missing",
                    lambda w, g, lr, wd: (1 - lr * wd) * w, DECAY_HINT),
        ],
    )


def global_norm(grads):
    return float(np.sqrt(sum(np.sum(np.asarray(g, dtype=float) ** 2) for g in grads)))


def check_clipping(student, rng):
    def gradient(shape, scale):
        return rng.normal(0.0, scale, size=shape)

    value_cases = [(gradient((5,), 2.0), 1.0), (gradient((3, 4), 0.5), 0.3), (gradient((2, 2), 0.1), 5.0),
                   (np.array([-3.0, -0.5, 0.0, 0.5, 3.0]), 1.0)]
    norm_cases = [(gradient((5,), 2.0), 1.0),          # long: rescaled
                  (gradient((3, 4), 0.05), 1.0),       # short: unchanged
                  (gradient((2, 3), 1.0), 0.5),
                  (np.array([3.0, -4.0]), 1.0),        # the visible check
                  (np.array([3.0, -4.0]), 10.0),
                  (np.zeros(3), 1.0)]                   # zero: unchanged, no 0 / 0
    check_function(
        student.function("clip_by_value"), lambda g, c: np.clip(g, -c, c), name="clip_by_value", cases=value_cases,
        mistakes=[
            Mistake("only the upper end was cut (np.minimum(g, c)): entries below -c must become -c",
                    lambda g, c: np.minimum(g, c), CLIP_HINT),
            Mistake("the entries were cut to [0, c]: the interval is [-c, c]",
                    lambda g, c: np.clip(g, 0, c), CLIP_HINT),
            Mistake("the whole array was rescaled by its norm: clip_by_value cuts each entry on its own",
                    nn_opt.clip_by_norm, CLIP_HINT),
        ],
    )
    check_function(
        student.function("clip_by_norm"), nn_opt.clip_by_norm, name="clip_by_norm", cases=norm_cases,
        mistakes=[
            Mistake("every entry was clipped to [-c, c]: clip_by_norm rescales the whole array, keeping its direction",
                    lambda g, c: np.clip(g, -c, c), CLIP_HINT),
            Mistake("a short gradient was scaled up to norm c: it must be returned unchanged when ||g|| <= c",
                    lambda g, c: g * c / np.sqrt(np.sum(g**2)) if np.any(g) else g, CLIP_HINT),
            Mistake("the norm was taken as the sum of |g|: it is the L2 norm sqrt(sum g^2)",
                    lambda g, c: g * c / np.sum(np.abs(g)) if np.sum(np.abs(g)) > c else g, CLIP_HINT),
            Mistake("g was divided by ||g||^2: clip_by_norm multiplies by c / ||g||",
                    lambda g, c: g * c / np.sum(g**2) if np.sqrt(np.sum(g**2)) > c else g, CLIP_HINT),
        ],
    )

    def global_reference(grads, c):
        return [np.asarray(g) for g in nn_opt.clip_by_global_norm([np.asarray(g, dtype=float) for g in grads], c)]

    def each_on_its_own(grads, c):
        return [nn_opt.clip_by_norm(g, c) for g in grads]

    def scaled(grads, norm, c):
        return [g * (c / norm) if norm > c else g for g in grads]

    big = [gradient((4, 3), 1.0), gradient((3,), 1.0), gradient((3, 2), 0.3)]
    global_cases = [
        (big, 1.0),
        ([gradient((2, 2), 0.05), gradient((2,), 0.05)], 1.0),                     # short: unchanged
        ([np.array([3.0, -4.0]), np.array([[12.0]])], 6.5),                        # the visible check
        ([gradient((5,), 1.0), gradient((1, 1), 0.01)], 0.8),                      # one large, one tiny
        ([gradient((3, 3), 0.4), gradient((2,), 3.0)], 2.0),
    ]
    check_function(
        student.function("clip_by_global_norm"), global_reference, name="clip_by_global_norm", cases=global_cases,
        mistakes=[
            Mistake("each array was clipped by its own norm (clipnorm): the global norm N of all of them "
                    "together decides one factor for all", each_on_its_own, CLIP_HINT),
            Mistake("the norms were added, N = sum ||g||: it is sqrt(sum ||g||^2)",
                    lambda grads, c: scaled(grads, sum(np.sqrt(np.sum(g**2)) for g in grads), c), CLIP_HINT),
            Mistake("short gradients were scaled up to N = c: below the threshold nothing changes",
                    lambda grads, c: [g * (c / global_norm(grads)) for g in grads], CLIP_HINT),
            Mistake("every entry was clipped to [-c, c]", lambda grads, c: [np.clip(g, -c, c) for g in grads],
                    CLIP_HINT),
        ],
    )


PARTS = [
    Part("dropout_test", check_dropout),
    Part("batchnorm_test", check_batchnorm),
    Part("l1_l2_test", check_l1_l2),
    Part("early_stopping_test", check_early_stopping),
    Part("weight_decay_test", check_weight_decay),
    Part("clipping_test", check_clipping),
]
