"""Plausible wrong answers to exercise 13: each must cost its part its points, and only its part."""

_HSV = (
    "def rgb_to_hsv(rgb):\n"
    "    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]\n"
    "    v = rgb.max(axis=-1)\n"
    "    delta = v - rgb.min(axis=-1)\n"
    "    s = {saturation}\n"
    "    safe = np.where(delta > 0, delta, 1.0)\n"
    "    h = np.where(r == v, {red_hue}, np.where(g == v, 2 + (b - r) / safe, 4 + (r - g) / safe))\n"
    "    h = np.where(delta > 0, h {scale}, 0.0)\n"
    "    return np.stack([h, s, v], axis=-1)\n"
)
_GOOD_HSV = {"saturation": "np.where(v > 0, delta / np.where(v > 0, v, 1.0), 0.0)",
             "red_hue": "((g - b) / safe) % 6", "scale": "/ 6"}

WRONG_ANSWERS = {
    "gray": [
        ("plain mean", "def to_grayscale(rgb):\n    return rgb.mean(axis=-1)\n"),
        ("weights in BGR order", "def to_grayscale(rgb):\n    return rgb @ np.array([0.114, 0.587, 0.299])\n"),
        ("image axes hard-coded", "def to_grayscale(rgb):\n"
                                  "    return 0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]\n"),
    ],
    "hsv": [
        ("hue in degrees", _HSV.format(**{**_GOOD_HSV, "scale": "* 60"})),
        ("no mod 6 for red", _HSV.format(**{**_GOOD_HSV, "red_hue": "(g - b) / safe"})),
        ("nan for black", _HSV.format(**{**_GOOD_HSV, "saturation": "delta / v"})),
        ("calls matplotlib", "from matplotlib.colors import rgb_to_hsv as mpl_rgb_to_hsv\n\n"
                             "def rgb_to_hsv(rgb):\n    return mpl_rgb_to_hsv(rgb)\n"),
    ],
    "cmyk": [
        ("no division by 1 - K", "def rgb_to_cmyk(rgb):\n"
                                 "    k = 1 - rgb.max(axis=-1, keepdims=True)\n"
                                 "    return np.concatenate([1 - rgb - k, k], axis=-1)\n"),
        ("black gives nan", "def rgb_to_cmyk(rgb):\n"
                            "    k = 1 - rgb.max(axis=-1, keepdims=True)\n"
                            "    return np.concatenate([(1 - rgb - k) / (1 - k), k], axis=-1)\n"),
        ("K from the minimum", "def rgb_to_cmyk(rgb):\n"
                               "    k = 1 - rgb.min(axis=-1, keepdims=True)\n"
                               "    cmy = np.where(k < 1, (1 - rgb - k) / np.where(k < 1, 1 - k, 1), 0)\n"
                               "    return np.concatenate([cmy, k], axis=-1)\n"),
    ],
    "vectors": [
        ("not scaled", "def images_to_vectors(images):\n    return images.reshape(len(images), -1).astype(float)\n"),
        ("divided by 256", "def images_to_vectors(images):\n    return images.reshape(len(images), -1) / 256\n"),
        ("column-major flattening", "def images_to_vectors(images):\n"
                                    "    return np.stack([im.flatten(order='F') for im in images]) / 255\n"),
    ],
    "shift": [
        ("np.roll wraps around", "def shift_image(image, dx, dy):\n"
                                 "    return np.roll(np.roll(image, dy, axis=0), dx, axis=1)\n"),
        ("dx and dy swapped", "def shift_image(image, dx, dy):\n"
                              "    h, w = image.shape\n"
                              "    out = np.zeros_like(image)\n"
                              "    for r in range(h):\n"
                              "        for c in range(w):\n"
                              "            if 0 <= r - dx < h and 0 <= c - dy < w:\n"
                              "                out[r, c] = image[r - dx, c - dy]\n"
                              "    return out\n"),
        ("moved the wrong way", "def shift_image(image, dx, dy):\n"
                                "    h, w = image.shape\n"
                                "    out = np.zeros_like(image)\n"
                                "    for r in range(h):\n"
                                "        for c in range(w):\n"
                                "            if 0 <= r + dy < h and 0 <= c + dx < w:\n"
                                "                out[r, c] = image[r + dy, c + dx]\n"
                                "    return out\n"),
    ],
}
