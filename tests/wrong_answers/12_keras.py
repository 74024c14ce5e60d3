"""Plausible wrong answers to exercise 12: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "build": [
        ("no softmax on the output layer",
         "def build_model():\n"
         "    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation='relu'),\n"
         "                              keras.layers.Dense(10)])\n"
         "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
         "    return model\n"),
        ("categorical_crossentropy with integer labels",
         "def build_model():\n"
         "    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation='relu'),\n"
         "                              keras.layers.Dense(10, activation='softmax')])\n"
         "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
         "    return model\n"),
        ("not compiled",
         "def build_model():\n"
         "    return keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation='relu'),\n"
         "                             keras.layers.Dense(10, activation='softmax')])\n"),
        ("one sigmoid output unit",
         "def build_model():\n"
         "    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation='relu'),\n"
         "                              keras.layers.Dense(1, activation='sigmoid')])\n"
         "    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])\n"
         "    return model\n"),
    ],
    "train": [
        ("one epoch", "def train(model, x_train, y_train):\n"
                      "    return model.fit(x_train, y_train, epochs=1, verbose=0)\n"),
        ("one-hot labels for a sparse loss", "def train(model, x_train, y_train):\n"
                                             "    y = keras.utils.to_categorical(y_train, 10)\n"
                                             "    return model.fit(x_train, y, epochs=15, verbose=0)\n"),
        ("returns the model", "def train(model, x_train, y_train):\n"
                              "    model.fit(x_train, y_train, epochs=15, verbose=0)\n"
                              "    return model\n"),
        ("trains a new model", "def train(model, x_train, y_train):\n"
                               "    model = keras.models.clone_model(model)\n"
                               "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
                               "    return model.fit(x_train, y_train, epochs=15, verbose=0)\n"),
    ],
    "convert": [
        ("kernels not transposed", "def to_keras_weights(layers):\n"
                                   "    return [w for W, b in layers for w in (W, b)]\n"),
        ("list of pairs", "def to_keras_weights(layers):\n"
                          "    return [(W.T, b) for W, b in layers]\n"),
    ],
    "twin": [
        ("activations not copied",
         "def same_as_nnlib(nnlib_model):\n"
         "    model = keras.Sequential([keras.Input(shape=(nnlib_model.input_dim,))]\n"
         "                             + [keras.layers.Dense(layer.units) for layer in nnlib_model.layers])\n"
         "    model.set_weights(nnlib_model.get_weights())\n"
         "    return model\n"),
        ("weights not copied",
         "def same_as_nnlib(nnlib_model):\n"
         "    return keras.Sequential([keras.Input(shape=(nnlib_model.input_dim,))]\n"
         "                            + [keras.layers.Dense(layer.units, activation=layer.activation.name)\n"
         "                               for layer in nnlib_model.layers])\n"),
        ("calls nnlib for the activations",
         "import nnlib.activations\n\n"
         "def same_as_nnlib(nnlib_model):\n"
         "    model = keras.Sequential([keras.Input(shape=(nnlib_model.input_dim,))]\n"
         "                             + [keras.layers.Dense(layer.units, activation=layer.activation.name)\n"
         "                                for layer in nnlib_model.layers])\n"
         "    model.set_weights(nnlib_model.get_weights())\n"
         "    assert nnlib.activations.get('relu')\n"
         "    return model\n"),
    ],
}
