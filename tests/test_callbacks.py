"""Callbacks: ReduceLROnPlateau, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN, CSVLogger,
and the improvement test they share with EarlyStopping, on hand-made logs and through fit."""

import csv
import math
import types

import numpy as np
import pytest

from nnlib import Sequential, callbacks, layers, optimizers, saving, schedules


class FakeModel:
    """What the callbacks touch: stop_training, the optimizer's learning rate and the weights."""

    def __init__(self, learning_rate=1.0):
        self.stop_training = False
        self.optimizer = types.SimpleNamespace(learning_rate=learning_rate)
        self.weights = [np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def drive(callback, values, monitor="val_loss", model=None):
    """Feed one monitored value an epoch, as fit would; returns (model, logs of every epoch run)."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": len(values), "metrics": ["loss", monitor]})
    callback.on_train_begin()
    all_logs = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        logs = {"loss": 0.0, monitor: value}
        callback.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end()
    return model, all_logs


def regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(n, 1))


def small_model(optimizer=None, seed=0):
    model = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)], seed=seed)
    model.compile(optimizer=optimizer or optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


# ---- the improvement test shared by EarlyStopping, ReduceLROnPlateau and ModelCheckpoint -------

def test_a_value_exactly_min_delta_better_is_not_an_improvement():
    # 0.75 == 1.0 - 0.25 exactly (binary fractions): strictly better is needed.
    stopper = callbacks.EarlyStopping(min_delta=0.25, patience=1)
    model, _ = drive(stopper, [1.0, 0.75, 0.5])
    assert model.stop_training and stopper.stopped_epoch == 1 and stopper.best == 1.0
    stopper = callbacks.EarlyStopping(min_delta=0.25, patience=1)
    model, _ = drive(stopper, [1.0, 0.7499999])
    assert not model.stop_training and stopper.best == 0.7499999


def test_exactly_min_delta_better_in_max_mode_is_not_an_improvement():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0.25, patience=1)
    model, _ = drive(stopper, [0.5, 0.75], monitor="val_accuracy")
    assert stopper.mode == "max" and model.stop_training and stopper.best == 0.5
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0.25, patience=1)
    model, _ = drive(stopper, [0.5, 0.7500001], monitor="val_accuracy")
    assert not model.stop_training and stopper.best == 0.7500001


def test_reduce_lr_uses_the_same_strict_improvement():
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.25)
    model, _ = drive(reducer, [1.0, 0.75])
    assert model.optimizer.learning_rate == 0.5 and reducer.best == 1.0
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.25)
    model, _ = drive(reducer, [1.0, 0.7])
    assert model.optimizer.learning_rate == 1.0 and reducer.best == 0.7


def test_mode_min_and_max_can_be_forced():
    reducer = callbacks.ReduceLROnPlateau(monitor="val_loss", mode="max", factor=0.5, patience=1, min_delta=0)
    model, _ = drive(reducer, [1.0, 2.0, 1.5])  # rising is improving in max mode
    assert reducer.best == 2.0 and model.optimizer.learning_rate == 0.5
    assert callbacks.ModelCheckpoint("f.npz", monitor="val_accuracy").mode == "max"
    assert callbacks.ModelCheckpoint("f.npz", monitor="val_accuracy", mode="min").mode == "min"



def test_a_monitor_callback_of_ones_own_watches_the_validation_loss_by_default():
    class Watch(callbacks.MonitorCallback):
        pass

    watch = Watch()
    assert (watch.monitor, watch.mode, watch.min_delta) == ("val_loss", "min", 0.0)
    assert Watch(monitor="val_accuracy").mode == "max"
    assert watch._is_improvement(0.5, None) and watch._is_improvement(0.5, 0.6) and not watch._is_improvement(0.6, 0.6)


def test_a_monitored_value_missing_from_the_logs_is_named():
    stopper = callbacks.EarlyStopping()
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    with pytest.raises(ValueError, match="^EarlyStopping monitors 'val_loss', which is not in the logs; "
                                         "available: loss, mae$"):
        stopper.on_epoch_end(0, {"loss": 1.0, "mae": 0.5})
    with pytest.raises(ValueError, match="^EarlyStopping monitors 'val_loss', which is not in the logs; "
                                         "available: nothing$"):
        stopper.on_epoch_end(0, None)


def test_a_value_fit_does_not_compute_is_named_before_training():
    x, y = regression()
    with pytest.raises(ValueError, match=r"^ReduceLROnPlateau monitors 'accuracy', which fit does not compute; "
                                         r"available: loss, mae$"):  # no validation hint: not a val_ name
        small_model().fit(x, y, verbose=0, callbacks=[callbacks.ReduceLROnPlateau(monitor="accuracy")])
    with pytest.raises(ValueError, match=r"^EarlyStopping monitors 'val_loss', which fit does not compute "
                                         r"\(validation metrics need validation_data or validation_split\); "
                                         r"available: loss, mae$"):
        small_model().fit(x, y, verbose=0, callbacks=[callbacks.EarlyStopping()])


def test_defaults_are_keras_s():
    stopper = callbacks.EarlyStopping()
    assert (stopper.monitor, stopper.min_delta, stopper.patience, stopper.mode, stopper.restore_best_weights,
            stopper.verbose) == ("val_loss", 0.0, 0, "min", False, 0)
    reducer = callbacks.ReduceLROnPlateau()
    assert (reducer.monitor, reducer.factor, reducer.patience, reducer.verbose, reducer.mode, reducer.min_delta,
            reducer.cooldown, reducer.min_lr) == ("val_loss", 0.1, 10, 0, "min", 1e-4, 0, 0.0)
    assert (reducer.best, reducer.wait) == (None, 0) and not reducer.in_cooldown()
    checkpoint = callbacks.ModelCheckpoint("m.npz")
    assert (checkpoint.monitor, checkpoint.verbose, checkpoint.save_best_only, checkpoint.save_weights_only,
            checkpoint.mode, checkpoint.best) == ("val_loss", 0, False, False, "min", None)
    assert callbacks.LearningRateScheduler(lambda epoch: 0.1).verbose == 0
    assert callbacks.ProgbarLogger().verbose == 1
    logger = callbacks.CSVLogger("log.csv")
    assert (logger.separator, logger.append, logger.keys) == (",", False, None)

# ---- ReduceLROnPlateau --------------------------------------------------------------------

def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.3, min_delta=0.0)
    model, logs = drive(reducer, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.95, 0.95])
    # e2: 2 epochs without improvement -> 0.5; e3, e4: cooldown (e4 counts again: wait 1);
    # e5: wait 2 -> max(0.25, 0.3) = 0.3; e8: wait 2 again, but the rate is already min_lr.
    assert [entry["learning_rate"] for entry in logs] == [1.0] * 3 + [0.5] * 3 + [0.3] * 3
    assert model.optimizer.learning_rate == 0.3 and reducer.best == 0.9 and reducer.wait == 2


def test_reduce_lr_starts_afresh_each_fit():
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.0)
    model, _ = drive(reducer, [1.0, 2.0])
    assert model.optimizer.learning_rate == 0.5
    drive(reducer, [3.0], model=model)  # a new fit: 3.0 is its first value, so its best
    assert reducer.best == 3.0 and model.optimizer.learning_rate == 0.5



def test_reduce_lr_a_new_fit_starts_without_wait_or_cooldown(capsys):
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=3, min_delta=0.0, verbose=1)
    model, _ = drive(reducer, [1.0, 2.0, 2.0])
    assert reducer.in_cooldown() and model.optimizer.learning_rate == 0.5
    assert capsys.readouterr().out == "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.5.\n"
    drive(reducer, [2.0, 2.0], model=model)
    assert reducer.wait == 1 and not reducer.in_cooldown()
    reducer.on_train_begin()  # the next fit
    assert (reducer.best, reducer.wait, reducer.cooldown_counter) == (None, 0, 0)


def test_reduce_lr_through_fit_changes_the_optimizer_and_logs_the_rate(tmp_path):
    x, y = regression()
    model = small_model(optimizers.SGD(0.08))
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=100.0)
    logger = callbacks.CSVLogger(tmp_path / "log.csv")
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[reducer, logger])
    # min_delta=100: only the first epoch improves (on nothing); each later one halves the rate.
    assert model.optimizer.learning_rate == 0.08 * 0.5**3
    with open(tmp_path / "log.csv") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["epoch", "learning_rate", "loss", "mae"]  # sorted, as Keras
    assert [float(row["learning_rate"]) for row in rows] == [0.08, 0.08, 0.04, 0.02]  # before each cut


def test_reduce_lr_refuses_a_metric_fit_does_not_compute():
    x, y = regression()
    model = small_model()
    with pytest.raises(ValueError, match="ReduceLROnPlateau monitors 'val_loss'.*validation_data"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()])
    assert model.optimizer.iterations == 0


# ---- LearningRateScheduler -----------------------------------------------------------------

def test_scheduler_sets_the_rate_before_each_epoch_and_logs_it():
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr / 2

    model, logs = drive(callbacks.LearningRateScheduler(schedule), [1.0] * 4)
    assert seen == [(0, 1.0), (1, 1.0), (2, 1.0), (3, 0.5)]
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 0.5, 0.25]
    assert model.optimizer.learning_rate == 0.25


def test_scheduler_accepts_a_function_of_the_epoch_alone(capsys):
    model, _ = drive(callbacks.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1), verbose=1), [1.0] * 3)
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.30000000000000004." in capsys.readouterr().out


def test_scheduler_calls_a_function_without_a_signature_with_the_epoch_and_the_rate():
    """max has no signature to inspect: it is called as documented, max(epoch, lr)."""
    _, logs = drive(callbacks.LearningRateScheduler(max), [1.0] * 3)
    assert [entry["learning_rate"] for entry in logs] == [1.0, 1.0, 2.0]


@pytest.mark.parametrize("bad", ["0.1", None, -0.1, math.nan, math.inf])
def test_scheduler_refuses_a_schedule_that_returns_no_rate(bad):
    with pytest.raises(ValueError, match=r"schedule\(0, lr\) must return a finite number >= 0"):
        drive(callbacks.LearningRateScheduler(lambda epoch, lr: bad), [1.0])


def test_scheduler_through_fit_a_zero_rate_freezes_the_weights():
    x, y = regression()
    frozen = small_model()
    frozen.fit(x, y, epochs=3, batch_size=16, verbose=0,
               callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else 0.0)])
    one_epoch = small_model()
    one_epoch.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(frozen.get_weights(), one_epoch.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert frozen.optimizer.learning_rate == 0.0


@pytest.mark.parametrize("callback", [
    callbacks.LearningRateScheduler(lambda epoch, lr: lr),
    callbacks.ReduceLROnPlateau(monitor="loss"),
])
def test_rate_callbacks_refuse_an_optimizer_with_a_schedule(callback):
    x, y = regression()
    model = small_model(optimizers.SGD(schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)))
    name = type(callback).__name__
    with pytest.raises(ValueError, match=rf"^{name} sets the optimizer's learning rate, but this optimizer follows "
                                         rf"the schedule ExponentialDecay.*: use a schedule or {name}, not both "
                                         r"\(make the optimizer with a float learning_rate\)$"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert model.optimizer.iterations == 0


@pytest.mark.parametrize("callback", [
    callbacks.LearningRateScheduler(lambda epoch, lr: lr),
    callbacks.ReduceLROnPlateau(monitor="loss"),
])
def test_rate_callbacks_need_a_compiled_model(callback):
    name = type(callback).__name__
    for model in (Sequential([layers.Dense(1)]), types.SimpleNamespace()):  # uncompiled, or no optimizer at all
        callback.set_model(model)
        with pytest.raises(ValueError, match=f"^{name} changes the optimizer's learning rate: compile the model first"):
            callback.on_train_begin()


# ---- ModelCheckpoint ------------------------------------------------------------------------

def test_checkpoint_every_epoch_names_files_as_keras_formats_them(tmp_path):
    x, y = regression()
    model = small_model()
    pattern = tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.3f}.npz"  # the folder is created
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25,
                        callbacks=[callbacks.ModelCheckpoint(pattern)])
    expected = [f"{epoch:02d}-{loss:.3f}.npz" for epoch, loss in enumerate(history.history["val_loss"], start=1)]
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == expected
    last = saving.load_model(tmp_path / "ckpt" / expected[-1])
    for a, b in zip(last.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_save_best_only_writes_only_on_improvement(tmp_path):
    model = small_model()
    model.build((None, 3))
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "best-{epoch}.npz", save_best_only=True)
    drive(checkpoint, [1.0, 0.8, 0.9, 0.8, 0.5], model=model)
    # epoch 4 ties the best (0.8): not an improvement, so no file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.npz", "best-2.npz", "best-5.npz"]
    assert checkpoint.best == 0.5


def test_checkpoint_best_only_in_max_mode_and_across_fits(tmp_path):
    model = small_model()
    model.build((None, 3))
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "{epoch}.npz", monitor="val_accuracy", save_best_only=True)
    drive(checkpoint, [0.5, 0.4, 0.6], monitor="val_accuracy", model=model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.npz", "3.npz"]
    for path in tmp_path.iterdir():
        path.unlink()
    drive(checkpoint, [0.55, 0.7], monitor="val_accuracy", model=model)  # the best (0.6) is kept, as in Keras
    assert [p.name for p in tmp_path.iterdir()] == ["2.npz"]


def test_checkpoint_initial_value_threshold(tmp_path):
    model = small_model()
    model.build((None, 3))
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "{epoch}.npz", save_best_only=True, initial_value_threshold=0.7)
    drive(checkpoint, [0.9, 0.8, 0.6], model=model)
    assert [p.name for p in tmp_path.iterdir()] == ["3.npz"]


def test_checkpoint_best_only_through_fit_keeps_the_best_model(tmp_path):
    x, y = regression()
    model = small_model(optimizers.SGD(0.3))
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0, validation_split=0.25,
                        callbacks=[callbacks.ModelCheckpoint(tmp_path / "best.npz", save_best_only=True,
                                                             verbose=1)])
    best = saving.load_model(tmp_path / "best.npz")
    assert best.evaluate(x[48:], y[48:])[0] == pytest.approx(min(history.history["val_loss"]), rel=1e-12)


def test_checkpoint_save_weights_only_writes_a_weights_file(tmp_path):
    x, y = regression()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(tmp_path / "w.npz",
                                                                              save_weights_only=True)])
    with pytest.raises(ValueError, match="weights only"):
        saving.load_model(tmp_path / "w.npz")
    other = small_model(seed=5)
    saving.load_weights(other, tmp_path / "w.npz")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_checkpoint_names_a_key_it_cannot_fill_in(tmp_path):
    x, y = regression()
    with pytest.raises(ValueError, match=r"cannot fill in filepath=.*\{val_loss\}.*logged values: loss, mae"):
        small_model().fit(x, y, epochs=1, verbose=0,
                          callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{val_loss}.npz"))])
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_best_only_needs_the_monitored_value(tmp_path):
    x, y = regression()
    with pytest.raises(ValueError, match="ModelCheckpoint monitors 'val_loss'"):
        small_model().fit(x, y, epochs=1, verbose=0,
                          callbacks=[callbacks.ModelCheckpoint(tmp_path / "m.npz", save_best_only=True)])
    small_model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(tmp_path / "m.npz")])
    assert (tmp_path / "m.npz").exists()  # saving every epoch watches nothing



def test_checkpoint_verbose_says_what_it_saves_and_why(tmp_path, capsys):
    model = small_model()
    model.build((None, 3))
    drive(callbacks.ModelCheckpoint(tmp_path / "quiet.npz", save_best_only=True), [1.0, 2.0], model=model)
    assert capsys.readouterr().out == ""  # verbose=0 by default, as in Keras
    best = callbacks.ModelCheckpoint(tmp_path / "best-{epoch}.npz", save_best_only=True, verbose=1)
    drive(best, [0.5, 0.75, 0.25], model=model)
    assert capsys.readouterr().out.splitlines() == [
        f"Epoch 1: val_loss improved from None to 0.50000, saving model to {tmp_path / 'best-1.npz'}",
        "Epoch 2: val_loss did not improve from 0.50000",
        f"Epoch 3: val_loss improved from 0.50000 to 0.25000, saving model to {tmp_path / 'best-3.npz'}",
    ]
    drive(callbacks.ModelCheckpoint(tmp_path / "every-{epoch}.npz", verbose=1), [1.0, 2.0], model=model)
    assert capsys.readouterr().out.splitlines() == [f"Epoch 1: saving model to {tmp_path / 'every-1.npz'}",
                                                    f"Epoch 2: saving model to {tmp_path / 'every-2.npz'}"]

# ---- TerminateOnNaN -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_at_the_first_invalid_loss(bad, capsys):
    terminate, model = callbacks.TerminateOnNaN(), FakeModel()
    terminate.set_model(model)
    terminate.on_train_batch_end(0, {"loss": 1e300})
    assert not model.stop_training
    terminate.on_train_batch_end(1, {"loss": bad})
    terminate.on_train_batch_end(2, {"loss": bad})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"  # said once


def test_terminate_on_nan_can_raise():
    terminate = callbacks.TerminateOnNaN(raise_error=True)
    terminate.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        terminate.on_train_batch_end(3, {"loss": math.nan})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point here
def test_terminate_on_nan_through_fit(capsys):
    x, y = regression()
    runs = {}
    with np.errstate(all="ignore"):
        for name, extra in (("without", []), ("with", [callbacks.TerminateOnNaN()])):
            model = small_model(optimizers.SGD(1e8))  # diverges: the loss overflows in epoch 3
            runs[name] = model.fit(x, y, epochs=6, batch_size=8, verbose=0, callbacks=extra)
    losses = runs["without"].history["loss"]
    first_invalid = next(epoch for epoch, loss in enumerate(losses) if not math.isfinite(loss))
    assert len(losses) == 6 and 0 < first_invalid < 5
    assert runs["with"].epoch == list(range(first_invalid + 1))  # no epoch after that one
    assert capsys.readouterr().out.count("Invalid loss, terminating training") == 1


class BatchRecorder(callbacks.Callback):
    def __init__(self):
        self.batches = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((batch, logs["loss"]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_within_the_epoch():
    """As in Keras, fit stops after the batch whose loss is invalid, not at the end of its epoch."""
    x, y = regression()
    recorder = BatchRecorder()
    with np.errstate(all="ignore"):
        model = small_model(optimizers.SGD(1e8))
        model.fit(x, y, epochs=6, batch_size=4, verbose=0, callbacks=[recorder, callbacks.TerminateOnNaN()])
    invalid = [index for index, (_, loss) in enumerate(recorder.batches) if not math.isfinite(loss)]
    assert invalid == [len(recorder.batches) - 1]  # the last batch run is the first with an invalid loss
    assert recorder.batches[-1][0] < 64 // 4 - 1  # and it was not the last batch of its epoch


def test_learning_rate_changes_reach_the_history():
    """ReduceLROnPlateau logs the rate, and History (after the user's callbacks, as in Keras) records it."""
    x, y = regression()
    model = small_model(optimizers.SGD(0.05))
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)])
    assert history.history["learning_rate"] == [0.025, 0.0125, 0.00625, 0.003125]


# ---- CSVLogger ------------------------------------------------------------------------------

def read_rows(path, separator=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=separator))


def test_csv_logger_writes_a_header_and_one_row_per_epoch(tmp_path):
    x, y = regression()
    path = tmp_path / "log.csv"
    history = small_model().fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25,
                                callbacks=[callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]  # sorted, as Keras
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for column, key in enumerate(rows[0][1:], start=1):  # full precision: str(float) round-trips
        assert [float(row[column]) for row in rows[1:]] == history.history[key]


def test_csv_logger_separator_append_and_overwrite(tmp_path):
    x, y = regression()
    path = str(tmp_path / "log.csv")
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    rows = read_rows(path, ";")
    assert rows[0] == ["epoch", "loss", "mae"] and [row[0] for row in rows[1:]] == ["0", "1", "0"]
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    assert [row[0] for row in read_rows(path, ";")] == ["epoch", "0"]


def test_csv_logger_writes_na_for_a_value_missing_later_and_plain_newlines(tmp_path):
    logger = callbacks.CSVLogger(tmp_path / "log.csv")
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    logger.on_epoch_end(1, {"loss": 0.5})  # the columns stay those of the first epoch
    assert (tmp_path / "log.csv").read_bytes() == b"epoch,loss,val_loss\n0,1.0,2.0\n1,0.5,NA\n"


def test_csv_logger_append_to_a_new_file_writes_the_header(tmp_path):
    logger = callbacks.CSVLogger(tmp_path / "new.csv", append=True)
    drive(logger, [0.5, 0.25])
    assert read_rows(tmp_path / "new.csv") == [["epoch", "loss", "val_loss"], ["0", "0.0", "0.5"],
                                               ["1", "0.0", "0.25"]]


# ---- arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: callbacks.ReduceLROnPlateau(factor=1.0), ValueError, "factor must be a number in \\(0, 1\\)"),
    (lambda: callbacks.ReduceLROnPlateau(factor=0), ValueError, "factor"),
    (lambda: callbacks.ReduceLROnPlateau(patience=-1), ValueError, "patience must be a non-negative integer"),
    (lambda: callbacks.ReduceLROnPlateau(cooldown=1.5), ValueError, "cooldown must be a non-negative integer"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr=-0.1), ValueError, "min_lr must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr="0.1"), ValueError, "min_lr must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr=math.inf), ValueError, "min_lr must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(factor="0.5"), ValueError, "factor must be a number in"),
    (lambda: callbacks.ReduceLROnPlateau(min_delta="0.1"), ValueError, "min_delta must be non-negative"),
    (lambda: callbacks.ReduceLROnPlateau(min_delta=-1e-4), ValueError, "min_delta must be non-negative"),
    (lambda: callbacks.ReduceLROnPlateau(mode="up"), ValueError, "mode must be 'auto', 'min' or 'max'"),
    (lambda: callbacks.ModelCheckpoint("m.npz", mode="best"), ValueError, "mode must be"),
    (lambda: callbacks.ModelCheckpoint(None), TypeError, "filepath must be a path"),
    (lambda: callbacks.ModelCheckpoint("m.npz", monitor=1), TypeError, "monitor must be the name"),
    (lambda: callbacks.ModelCheckpoint("m.npz", initial_value_threshold="x"), ValueError, "initial_value_threshold"),
    (lambda: callbacks.EarlyStopping(patience=True), ValueError, "patience"),
    (lambda: callbacks.LearningRateScheduler(0.1), TypeError, "schedule must be a function"),
    (lambda: callbacks.CSVLogger("log.csv", separator=", "), ValueError, "separator must be a single character"),
    (lambda: callbacks.CSVLogger(3), TypeError, "filename must be a path"),
])
def test_arguments_are_checked(make, error, message):
    with pytest.raises(error, match=message):
        make()


class FakeClock:
    """time.perf_counter for nnlib.callbacks, returning the given times in turn."""

    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0)


def progbar(monkeypatch, verbose, interactive, *times, steps=4):
    monkeypatch.setattr(callbacks, "_interactive", lambda: interactive)
    monkeypatch.setattr(callbacks, "time", types.SimpleNamespace(perf_counter=FakeClock(*times)))
    bar = callbacks.ProgbarLogger(verbose)
    bar.set_params({"epochs": 3, "steps": steps})
    return bar


def test_progbar_redraws_at_most_every_tenth_of_a_second(monkeypatch, capsys):
    bar = progbar(monkeypatch, 1, True, 0.0, 0.05, 0.25, 1.0)
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0, {"loss": 0.9})    # 0.05 s after the last draw: not redrawn
    bar.on_train_batch_end(1, {"loss": 0.5})    # 0.25 s: redrawn in place
    bar.on_epoch_end(0, {"loss": 0.25, "accuracy": 0.75})
    assert capsys.readouterr().out == (
        "Epoch 1/3\n"
        "\r2/4 ━━━━━━━━━━           0s 125ms/step - loss: 0.5000"
        "\r4/4 ━━━━━━━━━━━━━━━━━━━━ 1s 250ms/step - loss: 0.2500 - accuracy: 0.7500\n"
    )


def test_progbar_outside_a_terminal_prints_the_epoch_lines_only(monkeypatch, capsys):
    bar = progbar(monkeypatch, 1, False, 0.0, 0.5, 2.0)
    bar.on_epoch_begin(1)
    bar.on_train_batch_end(0, {"loss": 0.9})
    bar.on_epoch_end(1, {"loss": 0.5})
    assert capsys.readouterr().out == "Epoch 2/3\n4/4 ━━━━━━━━━━━━━━━━━━━━ 2s 500ms/step - loss: 0.5000\n"


def test_progbar_verbose_2_prints_one_line_an_epoch(monkeypatch, capsys):
    bar = progbar(monkeypatch, 2, True, 0.0, 0.5, 3.0, steps=0)
    bar.on_epoch_begin(2)
    bar.on_train_batch_end(0, {"loss": 0.9})
    bar.on_epoch_end(2, {"loss": 0.125})
    assert capsys.readouterr().out == "Epoch 3/3 - 0/0 ━━━━━━━━━━━━━━━━━━━━ 3s 3000ms/step - loss: 0.1250\n"


def test_interactive_means_a_terminal_or_a_notebook(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    class Pipe:
        def isatty(self):
            return False

    class NotebookStream(Pipe):
        pass

    NotebookStream.__module__ = "ipykernel.iostream"
    for stream, expected in ((Terminal(), True), (Pipe(), False), (NotebookStream(), True)):
        monkeypatch.setattr(callbacks.sys, "stdout", stream)
        assert callbacks._interactive() is expected


class RecordingStdout:
    """sys.stdout that records what is written and whether it was flushed since."""

    def __init__(self):
        self.text, self.flushed = "", True

    def write(self, text):
        self.text += text
        self.flushed = False
        return len(text)

    def flush(self):
        self.flushed = True


@pytest.mark.parametrize(("verbose", "interactive"), [(1, True), (1, False), (2, True)])
def test_progbar_flushes_every_line_it_prints(verbose, interactive, monkeypatch):
    """A notebook or a log shows the bar while training runs, not when the output buffer fills."""
    bar = progbar(monkeypatch, verbose, interactive, 0.0, 0.5, 1.0)
    stdout = RecordingStdout()
    monkeypatch.setattr("sys.stdout", stdout)
    bar.on_epoch_begin(0)
    assert stdout.flushed
    bar.on_train_batch_end(0, {"loss": 0.5})
    assert stdout.flushed
    bar.on_epoch_end(0, {"loss": 0.25})
    assert stdout.flushed and stdout.text.endswith("loss: 0.2500\n")


def test_progbar_times_are_measured_from_the_epoch_start(monkeypatch, capsys):
    """perf_counter has an arbitrary origin: the elapsed time is a difference. Redrawn at exactly 0.25 s."""
    bar = progbar(monkeypatch, 1, True, 100.0, 100.125, 100.25, 102.0)
    monkeypatch.setattr(callbacks.ProgbarLogger, "REDRAW_SECONDS", 0.25)
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0, {"loss": 0.9})  # 0.125 s after the start: not yet
    bar.on_train_batch_end(1, {"loss": 0.5})  # 0.25 s: redrawn
    bar.on_epoch_end(0, {"loss": 0.25})
    assert capsys.readouterr().out == (
        "Epoch 1/3\n"
        "\r2/4 ━━━━━━━━━━           0s 125ms/step - loss: 0.5000"
        "\r4/4 ━━━━━━━━━━━━━━━━━━━━ 2s 500ms/step - loss: 0.2500\n"
    )
