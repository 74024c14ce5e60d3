"""Plausible wrong answers to exercise 9: each must cost its part its points, and only its part."""

DROPOUT_BACKWARD = "def dropout_backward(grad, mask):\n    return grad * mask\n"
DROPOUT_FORWARD = (
    "def dropout_forward(x, rate, rng):\n"
    "    mask = (rng.random(x.shape) < 1 - rate) / (1 - rate)\n"
    "    return x * mask, mask\n\n\n"
)
PENALTY = "def l1_l2_penalty(W, l1, l2):\n    return float(l1 * np.abs(W).sum() + l2 * (W ** 2).sum())\n\n\n"
GRADIENT = "def l1_l2_gradient(W, l1, l2):\n    return l1 * np.sign(W) + 2 * l2 * W\n"
EARLY = (
    "def early_stopping_epoch(val_losses, patience, min_delta=0.0):\n"
    "    best, best_epoch, wait = val_losses[0], 0, 0\n"
    "    for epoch in range(1, len(val_losses)):\n"
)

L2_STEP = "def sgd_step_l2(w, g, lr, lam):\n    return w - lr * (g + 2 * lam * w)\n\n\n"
DECAY_STEP = "def sgd_step_weight_decay(w, g, lr, wd):\n    return (1 - lr * wd) * w - lr * g\n"
CLIP_VALUE = "def clip_by_value(g, c):\n    return np.clip(g, -c, c)\n\n\n"
CLIP_NORM = (
    "def clip_by_norm(g, c):\n    norm = np.sqrt(np.sum(g ** 2))\n"
    "    return g * (c / norm) if norm > c else g\n\n\n"
)
CLIP_GLOBAL = (
    "def clip_by_global_norm(grads, c):\n    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))\n"
    "    return [g * (c / norm) if norm > c else g for g in grads]\n"
)

WRONG_ANSWERS = {
    "dropout": [
        ("not scaled by 1 / (1 - rate)",
         "def dropout_forward(x, rate, rng):\n    mask = (rng.random(x.shape) < 1 - rate).astype(float)\n"
         "    return x * mask, mask\n\n\n" + DROPOUT_BACKWARD),
        ("rate used as the keep probability",
         "def dropout_forward(x, rate, rng):\n    mask = (rng.random(x.shape) < rate) / rate\n"
         "    return x * mask, mask\n\n\n" + DROPOUT_BACKWARD),
        ("backward ignores the mask", DROPOUT_FORWARD + "def dropout_backward(grad, mask):\n    return grad\n"),
        ("kept where u >= rate",
         "def dropout_forward(x, rate, rng):\n    mask = (rng.random(x.shape) >= rate) / (1 - rate)\n"
         "    return x * mask, mask\n\n\n" + DROPOUT_BACKWARD),
    ],
    "batchnorm": [
        ("unbiased variance", "def batchnorm_forward(x, gamma, beta, eps=1e-3):\n"
                              "    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta\n"),
        ("statistics over axis 1",
         "def batchnorm_forward(x, gamma, beta, eps=1e-3):\n"
         "    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)\n"
         "    return gamma * (x - mean) / np.sqrt(var + eps) + beta\n"),
        ("eps outside the sqrt", "def batchnorm_forward(x, gamma, beta, eps=1e-3):\n"
                                 "    return gamma * (x - x.mean(axis=0)) / (x.std(axis=0) + eps) + beta\n"),
    ],
    "l1_l2": [
        ("2 missing in the L2 gradient", PENALTY + "def l1_l2_gradient(W, l1, l2):\n    return l1 * np.sign(W) + l2 * W\n"),
        ("sign missing in the L1 gradient", PENALTY + "def l1_l2_gradient(W, l1, l2):\n    return l1 * W + 2 * l2 * W\n"),
        ("L1 penalty without abs", "def l1_l2_penalty(W, l1, l2):\n    return float(l1 * W.sum() + l2 * (W ** 2).sum())\n\n\n"
                                   + GRADIENT),
        ("sign as W / |W|: nan at 0", PENALTY + "def l1_l2_gradient(W, l1, l2):\n"
                                                "    return l1 * W / np.abs(W) + 2 * l2 * W\n"),
    ],
    "early_stopping": [
        ("off by one: wait > patience",
         EARLY + "        if val_losses[epoch] < best - min_delta:\n            best, best_epoch, wait = val_losses[epoch], epoch, 0\n"
                 "        else:\n            wait += 1\n            if wait > patience:\n                return epoch, best_epoch\n"
                 "    return len(val_losses) - 1, best_epoch\n"),
        ("min_delta ignored",
         EARLY + "        if val_losses[epoch] < best:\n            best, best_epoch, wait = val_losses[epoch], epoch, 0\n"
                 "        else:\n            wait += 1\n            if wait >= patience:\n                return epoch, best_epoch\n"
                 "    return len(val_losses) - 1, best_epoch\n"),
        ("best epoch = last epoch",
         EARLY + "        if val_losses[epoch] < best - min_delta:\n            best, best_epoch, wait = val_losses[epoch], epoch, 0\n"
                 "        else:\n            wait += 1\n            if wait >= patience:\n                return epoch, epoch\n"
                 "    return len(val_losses) - 1, len(val_losses) - 1\n"),
        ("compared with the previous epoch",
         EARLY + "        if val_losses[epoch] < val_losses[epoch - 1] - min_delta:\n"
                 "            best, best_epoch, wait = val_losses[epoch], epoch, 0\n"
                 "        else:\n            wait += 1\n            if wait >= patience:\n                return epoch, best_epoch\n"
                 "    return len(val_losses) - 1, best_epoch\n"),
    ],
    "weight_decay": [
        ("decay applied to the gradient",
         L2_STEP + "def sgd_step_weight_decay(w, g, lr, wd):\n    return w - lr * (g + wd * g)\n"),
        ("decay without the learning rate",
         L2_STEP + "def sgd_step_weight_decay(w, g, lr, wd):\n    return (1 - wd) * w - lr * g\n"),
        ("L2 gradient without the factor 2",
         "def sgd_step_l2(w, g, lr, lam):\n    return w - lr * (g + lam * w)\n\n\n" + DECAY_STEP),
        ("decay as an L2 penalty with lam = wd",
         L2_STEP + "def sgd_step_weight_decay(w, g, lr, wd):\n    return w - lr * (g + 2 * wd * w)\n"),
    ],
    "clipping": [
        ("clip_by_norm clips every entry",
         CLIP_VALUE + "def clip_by_norm(g, c):\n    return np.clip(g, -c, c)\n\n\n" + CLIP_GLOBAL),
        ("clip_by_norm scales small gradients up",
         CLIP_VALUE + "def clip_by_norm(g, c):\n    return g * c / np.sqrt(np.sum(g ** 2))\n\n\n" + CLIP_GLOBAL),
        ("global norm: each array on its own",
         CLIP_VALUE + CLIP_NORM + "def clip_by_global_norm(grads, c):\n    return [clip_by_norm(g, c) for g in grads]\n"),
        ("clip_by_value cuts only the top",
         "def clip_by_value(g, c):\n    return np.minimum(g, c)\n\n\n" + CLIP_NORM + CLIP_GLOBAL),
    ],
}
