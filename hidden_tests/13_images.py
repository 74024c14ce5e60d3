"""Hidden tests of exercise 13, Images as data: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases (black and grey pixels, a real photograph, float32 and uint8
images) sit beside cases drawn from it. The references (matplotlib's HSV conversion, the
photograph from scikit-learn's sample images) run here; the kernel offers NumPy only.
"""

from __future__ import annotations

import matplotlib.colors as mpl_colors
import numpy as np
from sklearn.datasets import load_digits, load_sample_image

from nbcourse.checks import Mistake, Part, check_function

KERNEL_PACKAGES = ("numpy",)

GRAY_HINT = "See the chapter 'Images as data', section 'Grayscale'."
HSV_HINT = "See the chapter 'Images as data', section 'HSV: hue, saturation, value'."
CMYK_HINT = "See the chapter 'Images as data', section 'CMYK: ink instead of light'."
VECTORS_HINT = "See the chapter 'Images as data', section 'Why networks take images as arrays: the digits'."
SHIFT_HINT = "See the chapter 'Images as data', section 'Shifts, with zero fill'."

LUMA = np.array([0.299, 0.587, 0.114])
# Loaded when the module is imported, before any part's clock starts.
DIGIT_IMAGES = load_digits().images


def photograph():
    """A real photograph, (27, 40, 3), uint8."""
    return load_sample_image("china.jpg")[::16, ::16]


def weighted(weights):
    return lambda rgb: np.tensordot(np.asarray(rgb, dtype=float), np.asarray(weights), axes=([-1], [0]))


def check_gray(student, rng):
    china = photograph()
    cases = [(rng.random((4, 5, 3)),), (china,), (china / 255.0,), (rng.random((2, 3, 3, 3)),), (rng.random((7, 3)),),
             (rng.random(3),), (rng.random((6, 4, 3)).astype(np.float32),)]
    check_function(
        student.function("to_grayscale"), weighted(LUMA), name="to_grayscale", cases=cases, rtol=1e-5,
        mistakes=[
            Mistake("the plain mean of R, G and B was taken: the luma weights them 0.299, 0.587, 0.114",
                    weighted([1 / 3, 1 / 3, 1 / 3]), GRAY_HINT),
            Mistake("the weights are in BGR order (0.114 on R, 0.299 on B): the channels are R, G, B",
                    weighted(LUMA[::-1]), GRAY_HINT),
            Mistake("these are the BT.709 (HDTV) weights 0.2126, 0.7152, 0.0722: this exercise asks for "
                    "BT.601's 0.299, 0.587, 0.114", weighted([0.2126, 0.7152, 0.0722]), GRAY_HINT),
            Mistake("the channel axis is kept, with size 1: return shape rgb.shape[:-1]",
                    lambda rgb: weighted(LUMA)(rgb)[..., None], GRAY_HINT),
            Mistake("the channels are taken from axis 2 (rgb[:, :, 0]), which is the channel axis only of an "
                    "(h, w, 3) image: use the last axis, rgb[..., 0], so batches (n, h, w, 3) work too",
                    lambda rgb: weighted(LUMA)(rgb) if np.ndim(rgb) < 4 else
                    0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2], GRAY_HINT),
        ],
    )


def reference_hsv(rgb):
    return mpl_colors.rgb_to_hsv(np.asarray(rgb, dtype=float))


def with_hue(function):
    def wrong(rgb):
        hsv = reference_hsv(rgb)
        hsv[..., 0] = function(rgb, hsv[..., 0])
        return hsv
    return wrong


def unwrapped_hue(rgb, hue):
    # the R = V case without "mod 6": negative hues where B > G
    r_max = (np.max(rgb, axis=-1) == rgb[..., 0]) & (np.ptp(rgb, axis=-1) > 0)
    return np.where(r_max & (hue > 0.5), hue - 1.0, hue)


def check_hsv(student, rng):
    china = photograph() / 255.0
    corners = np.array([[r, g, b] for r in (0.0, 0.5, 1.0) for g in (0.0, 0.5, 1.0) for b in (0.0, 0.5, 1.0)])
    cases = [(rng.random((6, 5, 3)),), (rng.random((40, 3)),), (np.array([[0.0, 0.0, 0.0]]),),
             (np.array([[0.4, 0.4, 0.4]]),), (china,), (corners,),
             (np.array([[0.3, 0.3, 0.3], [0.0, 0.0, 0.0], [0.9, 0.2, 0.6]]),), (rng.random((2, 4, 4, 3)),),
             (rng.random(3),), (rng.random((8, 3)).astype(np.float32),)]
    check_function(
        student.function("rgb_to_hsv"), reference_hsv, name="rgb_to_hsv", cases=cases, rtol=1e-5, atol=1e-7,
        mistakes=[
            Mistake("the hue is in degrees: here H is a fraction of a full turn, degrees / 360, in [0, 1)",
                    with_hue(lambda rgb, h: 360.0 * h), HSV_HINT),
            Mistake("the hue is not divided by 6: H = (sector + offset) / 6 lies in [0, 1)",
                    with_hue(lambda rgb, h: 6.0 * h), HSV_HINT),
            Mistake("the hue is negative where red is the largest channel and blue exceeds green: "
                    "take (G - B) / delta mod 6", with_hue(unwrapped_hue), HSV_HINT),
            Mistake("the saturation is max - min, not divided by V = max: S = (max - min) / max",
                    lambda rgb: np.stack([reference_hsv(rgb)[..., 0], np.ptp(rgb, axis=-1),
                                          reference_hsv(rgb)[..., 2]], axis=-1), HSV_HINT),
            Mistake("the channels are in the order (V, S, H): return (H, S, V)",
                    lambda rgb: reference_hsv(rgb)[..., ::-1], HSV_HINT),
        ],
    )


def reference_cmyk(rgb, key=lambda rgb: 1.0 - np.max(rgb, axis=-1), divide=True):
    rgb = np.asarray(rgb, dtype=float)
    k = key(rgb)[..., None]
    cmy = 1.0 - rgb - k
    if divide:
        black = k >= 1.0
        cmy = np.where(black, 0.0, cmy / np.where(black, 1.0, 1.0 - k))
    return np.concatenate([cmy, k], axis=-1)


def check_cmyk(student, rng):
    china = photograph() / 255.0
    cases = [(rng.random((5, 6, 3)),), (china,), (rng.random((30, 3)),), (np.array([[0.0, 0.0, 0.0]]),),
             (np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.2, 0.4, 0.6]]),), (rng.random((2, 3, 4, 3)),),
             (rng.random(3),)]
    check_function(
        student.function("rgb_to_cmyk"), reference_cmyk, name="rgb_to_cmyk", cases=cases, rtol=1e-6, atol=1e-9,
        mistakes=[
            Mistake("C, M and Y are not divided by (1 - K)", lambda rgb: reference_cmyk(rgb, divide=False), CMYK_HINT),
            Mistake("K = 1 - min(R, G, B): the black ink is what the brightest channel leaves, K = 1 - max(R, G, B)",
                    lambda rgb: reference_cmyk(rgb, key=lambda x: 1.0 - np.min(x, axis=-1)), CMYK_HINT),
            Mistake("C, M, Y are 1 - R, 1 - G, 1 - B (plain CMY): take the black ink K out first, "
                    "C = (1 - R - K) / (1 - K)",
                    lambda rgb: np.concatenate([1.0 - rgb, 1.0 - np.max(rgb, axis=-1, keepdims=True)], axis=-1),
                    CMYK_HINT),
            Mistake("K is the first channel: return (C, M, Y, K), K last",
                    lambda rgb: np.roll(reference_cmyk(rgb), 1, axis=-1), CMYK_HINT),
        ],
    )


def reference_vectors(images, scale=255.0, order="C"):
    return np.asarray(images, dtype=float).reshape(len(images), -1, order=order) / scale


def check_vectors(student, rng):
    china = photograph()
    cases = [(rng.integers(0, 256, (5, 8, 8), dtype=np.uint8),), (china[None],),
             (rng.integers(0, 256, (3, 4, 6, 3), dtype=np.uint8),), (rng.integers(0, 256, (1, 2, 2), dtype=np.uint8),),
             (np.full((2, 3, 3), 255, dtype=np.uint8),)]
    check_function(
        student.function("images_to_vectors"), reference_vectors, name="images_to_vectors", cases=cases,
        mistakes=[
            Mistake("the values are not scaled: divide by 255 so they lie in [0, 1]",
                    lambda images: reference_vectors(images, scale=1.0), VECTORS_HINT),
            Mistake("the values are divided by 256: the largest 8-bit value is 255, which must become 1",
                    lambda images: reference_vectors(images, scale=256.0), VECTORS_HINT),
            Mistake("each image is flattened column by column (order 'F'): use NumPy's default row-by-row order",
                    lambda images: np.stack([im.reshape(-1, order="F") for im in images]) / 255.0, VECTORS_HINT),
            Mistake("the whole batch is one long vector: return one row per image, shape (n, h * w * c)",
                    lambda images: np.asarray(images, dtype=float).reshape(-1) / 255.0, VECTORS_HINT),
        ],
    )


def reference_shift(image, dx, dy):
    """Pixel by pixel, as the formula reads: I'[r, c] = I[r - dy, c - dx] inside the image, else 0."""
    h, w = image.shape
    shifted = np.zeros_like(image)
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                shifted[r, c] = image[r - dy, c - dx]
    return shifted


def rolled(image, dx, dy):
    return np.roll(np.roll(image, dy, axis=0), dx, axis=1)


def check_shift(student, rng):
    digit = DIGIT_IMAGES[int(rng.integers(len(DIGIT_IMAGES)))]
    wide = rng.integers(0, 256, size=(5, 7)).astype(np.uint8)
    cases = [(np.array([[1, 2, 3], [4, 5, 6]]), 1, 0),                 # the visible check's
             (wide, 2, -1), (wide, -3, 2), (wide.T.copy(), 1, 3),        # not square: dx and dy differ
             (digit, 1, 1), (digit, -1, 0), (digit, 0, -2), (digit, 0, 0),
             (digit, 8, 0), (digit, -2, -9), (rng.normal(size=(1, 1)), 0, 0), (rng.normal(size=(1, 4)), -1, 0)]
    cases += [(rng.normal(size=(int(rng.integers(3, 9)), int(rng.integers(3, 9)))),
               int(rng.integers(-2, 3)) or 1, int(rng.integers(-2, 3))) for _ in range(3)]
    check_function(
        student.function("shift_image"), reference_shift, name="shift_image", cases=cases,
        mistakes=[
            Mistake("the pixels wrap around (np.roll): the ones pushed past one edge must be lost, and the "
                    "uncovered edge filled with 0", rolled, SHIFT_HINT),
            Mistake("dx and dy are swapped: dx moves the columns (to the right), dy the rows (down)",
                    lambda image, dx, dy: reference_shift(image, dy, dx), SHIFT_HINT),
            Mistake("the image moved the wrong way: positive dx moves it right, positive dy down",
                    lambda image, dx, dy: reference_shift(image, -dx, -dy), SHIFT_HINT),
            Mistake("positive dy moved the image up: row 0 is the top, so down means larger row numbers",
                    lambda image, dx, dy: reference_shift(image, dx, -dy), SHIFT_HINT),
            Mistake("positive dx moved the image left: column 0 is the left edge",
                    lambda image, dx, dy: reference_shift(image, -dx, dy), SHIFT_HINT),
            Mistake("dx and dy are swapped and the pixels wrap around (np.roll)",
                    lambda image, dx, dy: rolled(image, dy, dx), SHIFT_HINT),
        ],
    )


PARTS = [
    Part("gray_test", check_gray),
    Part("hsv_test", check_hsv),
    Part("cmyk_test", check_cmyk),
    Part("vectors_test", check_vectors),
    Part("shift_test", check_shift),
]
