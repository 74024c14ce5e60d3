"""Plausible wrong answers to exercise 5: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "adagrad": [
        ("accumulator not updated before use", "def adagrad_step(w, g, accumulator, lr=0.001, eps=1e-7):\n"
                                               "    new_w = w - lr * g / np.sqrt(accumulator + eps)\n"
                                               "    return new_w, accumulator + g**2\n"),
        ("the textbook's epsilon", "def adagrad_step(w, g, accumulator, lr=0.001, eps=1e-7):\n"
                                   "    accumulator = accumulator + g**2\n"
                                   "    return w - lr * g / (np.sqrt(accumulator) + eps), accumulator\n"),
        ("accumulator changed in place and returned old",
         "def adagrad_step(w, g, accumulator, lr=0.001, eps=1e-7):\n"
         "    new = accumulator + g**2\n"
         "    return w - lr * g / np.sqrt(new + eps), accumulator\n"),
    ],
    "rmsprop": [
        ("Adagrad instead (no moving average)", "def rmsprop_step(w, g, mean_square, lr=0.001, rho=0.9, eps=1e-7):\n"
                                                "    mean_square = mean_square + g**2\n"
                                                "    return w - lr * g / np.sqrt(mean_square + eps), mean_square\n"),
        ("rho swapped", "def rmsprop_step(w, g, mean_square, lr=0.001, rho=0.9, eps=1e-7):\n"
                        "    mean_square = (1 - rho) * mean_square + rho * g**2\n"
                        "    return w - lr * g / np.sqrt(mean_square + eps), mean_square\n"),
        ("PyTorch's epsilon", "def rmsprop_step(w, g, mean_square, lr=0.001, rho=0.9, eps=1e-7):\n"
                              "    mean_square = rho * mean_square + (1 - rho) * g * g\n"
                              "    return w - lr * g / (np.sqrt(mean_square) + eps), mean_square\n"),
    ],
    "adadelta": [
        ("accumulators swapped", "def adadelta_step(w, g, accumulated_grad, accumulated_update, lr=0.001, rho=0.95,\n"
                                 "                  eps=1e-7):\n"
                                 "    Eg2 = rho * accumulated_grad + (1 - rho) * g**2\n"
                                 "    dw = -np.sqrt(Eg2 + eps) / np.sqrt(accumulated_update + eps) * g\n"
                                 "    Edw2 = rho * accumulated_update + (1 - rho) * dw**2\n"
                                 "    return w + lr * dw, Eg2, Edw2\n"),
        ("state returned in the wrong order",
         "def adadelta_step(w, g, accumulated_grad, accumulated_update, lr=0.001, rho=0.95, eps=1e-7):\n"
         "    Eg2 = rho * accumulated_grad + (1 - rho) * g**2\n"
         "    dw = -np.sqrt(accumulated_update + eps) / np.sqrt(Eg2 + eps) * g\n"
         "    Edw2 = rho * accumulated_update + (1 - rho) * dw**2\n"
         "    return w + lr * dw, Edw2, Eg2\n"),
        ("lr inside the average", "def adadelta_step(w, g, accumulated_grad, accumulated_update, lr=0.001, rho=0.95,\n"
                                  "                  eps=1e-7):\n"
                                  "    Eg2 = rho * accumulated_grad + (1 - rho) * g**2\n"
                                  "    dw = -lr * np.sqrt(accumulated_update + eps) / np.sqrt(Eg2 + eps) * g\n"
                                  "    Edw2 = rho * accumulated_update + (1 - rho) * dw**2\n"
                                  "    return w + dw, Eg2, Edw2\n"),
        ("no learning rate (the paper)",
         "def adadelta_step(w, g, accumulated_grad, accumulated_update, lr=0.001, rho=0.95, eps=1e-7):\n"
         "    Eg2 = rho * accumulated_grad + (1 - rho) * g**2\n"
         "    dw = -np.sqrt(accumulated_update + eps) / np.sqrt(Eg2 + eps) * g\n"
         "    return w + dw, Eg2, rho * accumulated_update + (1 - rho) * dw**2\n"),
    ],
    "adam": [
        ("no bias correction", "def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):\n"
                               "    m = beta_1 * m + (1 - beta_1) * g\n"
                               "    v = beta_2 * v + (1 - beta_2) * g**2\n"
                               "    return w - lr * m / (np.sqrt(v) + eps), m, v\n"),
        ("the textbook's epsilon", "def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):\n"
                                   "    m = beta_1 * m + (1 - beta_1) * g\n"
                                   "    v = beta_2 * v + (1 - beta_2) * g**2\n"
                                   "    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)\n"
                                   "    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n"),
        ("t + 1 in the correction", "def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):\n"
                                    "    t = t + 1\n"
                                    "    m = beta_1 * m + (1 - beta_1) * g\n"
                                    "    v = beta_2 * v + (1 - beta_2) * g**2\n"
                                    "    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)\n"
                                    "    return w - lr_t * m / (np.sqrt(v) + eps), m, v\n"),
    ],
    "cosine": [
        ("no (1 + cos) / 2", "def cosine_decay(step, initial_lr, decay_steps, alpha=0.0):\n"
                             "    t = np.minimum(step, decay_steps)\n"
                             "    return initial_lr * ((1 - alpha) * np.cos(np.pi * t / decay_steps) + alpha)\n"),
        ("step counted from 1", "def cosine_decay(step, initial_lr, decay_steps, alpha=0.0):\n"
                                "    t = np.minimum(step + 1, decay_steps)\n"
                                "    cosine = 0.5 * (1 + np.cos(np.pi * t / decay_steps))\n"
                                "    return initial_lr * ((1 - alpha) * cosine + alpha)\n"),
        ("not clamped after decay_steps", "def cosine_decay(step, initial_lr, decay_steps, alpha=0.0):\n"
                                          "    cosine = 0.5 * (1 + np.cos(np.pi * step / decay_steps))\n"
                                          "    return initial_lr * ((1 - alpha) * cosine + alpha)\n"),
        ("alpha as the floor itself", "def cosine_decay(step, initial_lr, decay_steps, alpha=0.0):\n"
                                      "    t = np.minimum(step, decay_steps)\n"
                                      "    cosine = 0.5 * (1 + np.cos(np.pi * t / decay_steps))\n"
                                      "    return alpha + (initial_lr - alpha) * cosine\n"),
        ("Python's min (numbers only)", "import math\n\n"
                                        "def cosine_decay(step, initial_lr, decay_steps, alpha=0.0):\n"
                                        "    t = min(step, decay_steps)\n"
                                        "    cosine = 0.5 * (1 + math.cos(math.pi * t / decay_steps))\n"
                                        "    return initial_lr * ((1 - alpha) * cosine + alpha)\n"),
    ],
    "warmup": [
        ("warm-up one step ahead",
         "def warmup_cosine_decay(step, initial_lr, decay_steps, warmup_target, warmup_steps, alpha=0.0):\n"
         "    t = np.minimum(step, decay_steps + warmup_steps)\n"
         "    warm = initial_lr + (warmup_target - initial_lr) * (t + 1) / warmup_steps\n"
         "    decay = cosine_decay(t - warmup_steps, warmup_target, decay_steps, alpha)\n"
         "    return np.where(t < warmup_steps, warm, decay)\n"),
        ("cosine not shifted by the warm-up",
         "def warmup_cosine_decay(step, initial_lr, decay_steps, warmup_target, warmup_steps, alpha=0.0):\n"
         "    t = np.minimum(step, decay_steps + warmup_steps)\n"
         "    warm = initial_lr + (warmup_target - initial_lr) * t / warmup_steps\n"
         "    return np.where(t < warmup_steps, warm, cosine_decay(t, warmup_target, decay_steps, alpha))\n"),
        ("clamped at decay_steps",
         "def warmup_cosine_decay(step, initial_lr, decay_steps, warmup_target, warmup_steps, alpha=0.0):\n"
         "    t = np.minimum(step, decay_steps)\n"
         "    warm = initial_lr + (warmup_target - initial_lr) * t / warmup_steps\n"
         "    decay = cosine_decay(t - warmup_steps, warmup_target, decay_steps, alpha)\n"
         "    return np.where(t < warmup_steps, warm, decay)\n"),
        ("warm-up from 0",
         "def warmup_cosine_decay(step, initial_lr, decay_steps, warmup_target, warmup_steps, alpha=0.0):\n"
         "    t = np.minimum(step, decay_steps + warmup_steps)\n"
         "    warm = warmup_target * t / warmup_steps\n"
         "    decay = cosine_decay(t - warmup_steps, warmup_target, decay_steps, alpha)\n"
         "    return np.where(t < warmup_steps, warm, decay)\n"),
    ],
}
