"""fit → History: losses, validation, early stopping, schedules, metrics, safety, and two seed results."""
from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import autograd
import nn
from nn import data as D
from nn import metrics as M
from nn import optim


def _regression(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, np.sin(X[:, :1]) + 0.5 * X[:, 1:] ** 2


def _classification(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, :1] * X[:, 1:] > 0).astype(float)


def _net(out_activation="identity", seed=0):
    return nn.MLP([2, 8, 1], activations=["tanh", out_activation], seed=seed)


def _fit(model, X, y, loss="mse", lr=0.05, epochs=5, **kw):
    kw.setdefault("progress", False)
    return nn.fit(model, X, y, loss, optim.SGD(model.parameters(), lr=lr), epochs=epochs, **kw)


def _same_weights(a, b):
    return all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))


# -- History ----------------------------------------------------------------------------------------
def test_fit_records_one_train_loss_and_learning_rate_per_epoch():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=7)
    assert isinstance(h, nn.History) and h.epochs == 7
    assert len(h.train_loss) == 7 and h.lr == [0.05] * 7 and h.val_loss == []
    assert h.stop_reason == "completed 7 epochs"


def test_full_batch_epoch_loss_is_the_loss_before_that_epochs_update():
    X, y = _regression()
    model = _net()
    initial = nn.evaluate(model, X, y, "mse")["loss"]
    h = _fit(model, X, y, epochs=3)
    assert h.train_loss[0] == pytest.approx(initial, rel=1e-14)
    assert h.train_loss[2] < h.train_loss[0]


def test_mini_batch_epoch_loss_is_the_row_weighted_mean_of_batch_losses():
    X, y = _regression(n=10)
    model = _net()
    before = nn.MLP([2, 8, 1], activations=["tanh", "identity"], seed=0)
    h = _fit(model, X, y, lr=1e-300, epochs=1, batch_size=4, seed=0)   # updates too small to matter
    assert h.train_loss[0] == pytest.approx(nn.evaluate(before, X, y, "mse")["loss"], rel=1e-12)


def test_best_epoch_is_the_epoch_of_lowest_monitored_loss():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=30, lr=0.3)
    assert h.best_epoch == int(np.argmin(h.train_loss)) + 1


def test_history_saves_as_json_and_csv(tmp_path):
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=3, validation=_regression(10, seed=1), metrics=["mse"])
    h.save_json(tmp_path / "h.json")
    h.save_csv(tmp_path / "h.csv")
    saved = json.loads((tmp_path / "h.json").read_text())
    assert saved["train_loss"] == h.train_loss and saved["epochs"] == 3
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0] == "epoch,train_loss,val_loss,train_mse,val_mse,lr" and len(rows) == 4


# -- validation -----------------------------------------------------------------------------------
def test_validation_loss_is_recorded_each_epoch_on_the_given_data():
    X, y = _regression()
    Xv, yv = _regression(20, seed=1)
    model = _net()
    h = _fit(model, X, y, epochs=4, validation=(Xv, yv))
    assert len(h.val_loss) == 4
    assert h.val_loss[-1] == pytest.approx(nn.evaluate(model, Xv, yv, "mse")["loss"], rel=1e-14)


def test_validation_fraction_holds_out_rows_reproducibly():
    X, y = _regression(50)
    a = _fit(_net(), X, y, epochs=3, validation_fraction=0.2, seed=3)
    b = _fit(_net(), X, y, epochs=3, validation_fraction=0.2, seed=3)
    c = _fit(_net(), X, y, epochs=3, validation_fraction=0.2, seed=4)
    assert len(a.val_loss) == 3 and a.val_loss == b.val_loss and a.train_loss == b.train_loss
    assert a.val_loss != c.val_loss


def test_validation_fraction_split_matches_train_test_split_with_the_seed():
    X, y = _regression(50)
    Xtr, Xv, ytr, yv = D.train_test_split(X, y, test_size=10, seed=5)
    a = _fit(_net(), X, y, epochs=2, validation_fraction=0.2, seed=5)
    b = _fit(_net(), Xtr, ytr, epochs=2, validation=(Xv, yv), seed=5)
    assert a.val_loss == b.val_loss and a.train_loss == b.train_loss


# -- early stopping -----------------------------------------------------------------------------------
def _overfitting_problem():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(12, 1))
    y = np.sin(X) + 0.3 * rng.normal(size=X.shape)
    Xv = rng.uniform(-3, 3, size=(100, 1))
    return X, y, Xv, np.sin(Xv)


def _big_net():
    return nn.MLP([1, 64, 64, 1], activations=["tanh", "tanh", "identity"], seed=0)


def _adam_fit(model, X, y, Xv, yv, epochs, early_stopping=None):
    return nn.fit(model, X, y, "mse", optim.Adam(model.parameters(), lr=0.01), epochs=epochs,
                  validation=(Xv, yv), early_stopping=early_stopping, progress=False)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    X, y, Xv, yv = _overfitting_problem()
    h = _adam_fit(_big_net(), X, y, Xv, yv, 2000, nn.EarlyStopping(patience=30))
    assert h.epochs == h.best_epoch + 30 < 2000
    assert min(h.val_loss[h.best_epoch:]) >= h.val_loss[h.best_epoch - 1]
    assert h.stop_reason.startswith("early stopping") and f"best epoch {h.best_epoch}" in h.stop_reason


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    X, y, Xv, yv = _overfitting_problem()
    model = _big_net()
    h = _adam_fit(model, X, y, Xv, yv, 2000, nn.EarlyStopping(patience=30, restore_best=True))
    assert nn.evaluate(model, Xv, yv, "mse")["loss"] == min(h.val_loss)
    replay = _big_net()
    _adam_fit(replay, X, y, Xv, yv, h.best_epoch)        # the same run, stopped at the best epoch
    assert _same_weights(model, replay)


def test_early_stopping_without_restore_keeps_the_last_weights():
    X, y, Xv, yv = _overfitting_problem()
    model = _big_net()
    h = _adam_fit(model, X, y, Xv, yv, 2000, nn.EarlyStopping(patience=30, restore_best=False))
    assert nn.evaluate(model, Xv, yv, "mse")["loss"] == pytest.approx(h.val_loss[-1], rel=1e-14)
    assert h.val_loss[-1] > min(h.val_loss)


def test_min_delta_counts_small_improvements_as_none():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=100, early_stopping=nn.EarlyStopping(patience=4, min_delta=1e9))
    assert h.epochs == 5 and h.best_epoch == 1


def test_early_stopping_accepts_a_patience_number_and_monitors_train_loss_without_validation():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=200, lr=5.0, early_stopping=3)   # lr too large: the loss oscillates
    assert h.epochs < 200 and h.epochs == h.best_epoch + 3
    assert h.train_loss[h.best_epoch - 1] == min(h.train_loss)


def test_early_stopping_true_uses_the_default_patience():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=300, lr=5.0, early_stopping=True)
    assert h.epochs == h.best_epoch + nn.EarlyStopping().patience


@pytest.mark.parametrize("kw, match", [(dict(patience=0), "patience must be >= 1"),
                                       (dict(min_delta=-1.0), "min_delta must be >= 0")])
def test_early_stopping_rejects_bad_settings(kw, match):
    with pytest.raises(ValueError, match=f"EarlyStopping: {match}"):
        nn.EarlyStopping(**kw)


# -- schedules, metrics, reproducibility, progress ----------------------------------------------------
def test_scheduler_sets_each_epochs_learning_rate():
    X, y = _regression()
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = nn.fit(model, X, y, "mse", opt, epochs=6, scheduler=optim.InverseTimeDecay(opt, decay=0.5),
               progress=False)
    np.testing.assert_allclose(h.lr, [0.1 / (1 + 0.5 * e) for e in range(6)], rtol=1e-15)


def test_metrics_are_recorded_per_epoch_for_train_and_validation():
    X, y = _classification()
    Xv, yv = _classification(30, seed=1)
    model = _net("sigmoid")
    h = _fit(model, X, y, "bce", lr=0.5, epochs=4, validation=(Xv, yv), metrics=["accuracy"])
    assert len(h.metrics["accuracy"]) == 4 and len(h.val_metrics["accuracy"]) == 4
    assert h.metrics["accuracy"][-1] == M.accuracy(y, nn.predict(model, X))
    assert h.val_metrics["accuracy"][-1] == M.accuracy(yv, nn.predict(model, Xv))


def test_a_callable_metric_is_recorded_under_its_name():
    X, y = _regression()

    def max_error(y_true, y_pred):
        return float(np.abs(y_true - y_pred).max())

    model = _net()
    h = _fit(model, X, y, epochs=2, metrics=[max_error])
    assert h.metrics["max_error"][-1] == max_error(y, nn.predict(model, X))


def test_an_unknown_metric_is_refused():
    X, y = _regression()
    with pytest.raises(ValueError, match="fit: unknown metric 'f1'"):
        _fit(_net(), X, y, metrics=["f1"])


def test_metrics_see_probabilities_when_the_loss_takes_logits():
    X, y = _classification()
    model = _net()
    result = nn.evaluate(model, X, y, nn.BCEWithLogitsLoss(), metrics=["accuracy"])
    probabilities = 1 / (1 + np.exp(-nn.predict(model, X)))
    assert result["accuracy"] == M.accuracy(y, probabilities)


def test_the_same_seed_gives_the_same_mini_batch_run():
    X, y = _regression()
    a, b, c = _net(), _net(), _net()
    ha = _fit(a, X, y, epochs=5, batch_size=8, seed=1)
    hb = _fit(b, X, y, epochs=5, batch_size=8, seed=1)
    hc = _fit(c, X, y, epochs=5, batch_size=8, seed=2)
    assert ha.train_loss == hb.train_loss and _same_weights(a, b)
    assert ha.train_loss != hc.train_loss and not _same_weights(a, c)


def test_fit_prints_nothing_when_stderr_is_not_a_terminal(capsys):
    X, y = _regression()
    _fit(_net(), X, y, epochs=3, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_fit_shows_a_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm", reason="the progress bar uses tqdm")
    X, y = _regression()
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    _fit(_net(), X, y, epochs=3, progress=True)
    assert "epoch" in tty.getvalue()


def test_progress_false_is_quiet_even_on_a_terminal(monkeypatch):
    X, y = _regression()
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    _fit(_net(), X, y, epochs=3, progress=False)
    assert tty.getvalue() == ""


# -- divergence ------------------------------------------------------------------------------------------
def _all_finite(model):
    return all(np.isfinite(p.data).all() for p in model.parameters())


def test_a_diverging_loss_raises_naming_epoch_and_step_and_keeps_finite_weights():
    X, y = _regression()
    model = _net()
    with pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+.*smaller learning rate") as err:
        with np.errstate(over="ignore", invalid="ignore"):
            _fit(model, X, y * 100, lr=1e6, epochs=100)
    assert "fit: loss became" in str(err.value)
    assert _all_finite(model)


def test_an_update_that_overflows_the_weights_raises_and_restores_the_last_finite_ones():
    X, y = _regression()
    model = _net()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(FloatingPointError, match=r"update at epoch 1, step 1 made a weight non-finite"):
        with np.errstate(over="ignore", invalid="ignore"):
            _fit(model, X, y * 1e10, lr=1e300, epochs=3)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


class _NaNGradientAtStep2:
    """MSE whose value stays finite but whose gradient is NaN at the second training step:
    0·√|u| at u = 0 has the value 0 and the derivative 0·∞ = NaN."""

    def __init__(self):
        self.training_calls = 0

    def __call__(self, out, y):
        loss = nn.MSELoss()(out, y)
        if autograd.is_grad_enabled():
            self.training_calls += 1
            if self.training_calls == 2:
                loss = loss + 0 * (out - out.detach()).abs().sqrt().sum()
        return loss


def test_a_non_finite_gradient_is_named_and_neither_weights_nor_optimizer_state_take_it():
    from nn.train import TrainingDiverged
    X, y = _regression(n=20)
    model, seen = _net(), []
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    class Record(nn.Callback):
        def after_update(self, run, loss):
            seen.append([p.data.copy() for p in run.model.parameters()])

    with pytest.raises(TrainingDiverged, match=r"a gradient became non-finite at epoch 1, step 2") as err, \
            np.errstate(divide="ignore", invalid="ignore"):
        nn.fit(model, X, y, _NaNGradientAtStep2(), opt, epochs=2, batch_size=10, shuffle=False,
               progress=False, callbacks=[Record()])
    assert err.value.what == "a gradient became non-finite" and len(seen) == 1
    assert all(np.array_equal(p.data, w) for p, w in zip(model.parameters(), seen[0]))
    assert all(np.isfinite(v).all() for state in opt.state for v in state.values() if isinstance(v, np.ndarray))


def _with(a, index, value):
    a = a.copy()
    a[index] = value
    return a


# -- input validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda X, y: (X[:, :1], y), ValueError, r"Linear\(in_features=2\) got input with 1 features"),
    (lambda X, y: (_with(X, (3, 1), np.nan), y), ValueError, r"fit: X contains 1 non-finite value \(NaN or inf\)"),
    (lambda X, y: (X, _with(y, (0, 0), np.inf)), ValueError, r"fit: y contains 1 non-finite value \(NaN or inf\)"),
    (lambda X, y: (X[:0], y[:0]), ValueError, "fit: X is empty"),
    (lambda X, y: (X, y[:-1]), ValueError, "fit: X has 40 rows but y has 39"),
    (lambda X, y: (X, y.ravel()), ValueError, r"prediction shape \(40, 1\) and target shape \(40,\) differ"),
    (lambda X, y: (X.astype(str), y), TypeError, "fit: X must be numeric"),
], ids=["features", "nan_X", "inf_y", "empty", "rows", "target_shape", "strings"])
def test_bad_training_data_is_refused_before_any_update(make, error, match):
    X, y = make(*_regression())
    model = _net()
    before = model.state_dict()
    with pytest.raises(error, match=match):
        _fit(model, X, y, epochs=2)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in before.items())


def test_labels_out_of_range_in_a_later_mini_batch_are_refused_before_any_update():
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(20, 2)), rng.integers(0, 3, size=20)
    labels[-1] = 3
    model = nn.MLP([2, 4, 3], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: labels must be integers in \[0, 3\)"):
        _fit(model, X, labels, "cross_entropy", epochs=1, batch_size=4, shuffle=False)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in before.items())


@pytest.mark.parametrize("bad_val, match", [
    (lambda Xv, yv: (Xv, np.full_like(yv, 2.0)), r"BCELoss: targets must lie in \[0, 1\]"),
    (lambda Xv, yv: (Xv[:, :1], yv), r"Linear\(in_features=2\) got input with 1 features"),
    (lambda Xv, yv: (Xv, yv[:-1]), r"fit \(validation\): X has 30 rows but y has 29"),
], ids=["targets", "features", "rows"])
def test_bad_validation_data_is_refused_before_training(bad_val, match):
    X, y = _classification()
    model = _net("sigmoid")
    before = model.state_dict()
    with pytest.raises((ValueError, TypeError), match=match):
        _fit(model, X, y, "bce", epochs=2, validation=bad_val(*_classification(30, seed=1)))
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in before.items())


@pytest.mark.parametrize("kw, match", [
    (dict(validation_fraction=0.01), "leaves 0 validation rows"),
    (dict(validation_fraction=1.5), r"validation_fraction must lie in \(0, 1\)"),
    (dict(validation_fraction=0.2, validation=_regression(5)), "not both"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(batch_size=0), "batch_size must be a positive integer or None"),
], ids=["fraction_small", "fraction_range", "both", "epochs", "batch_size"])
def test_bad_fit_arguments_are_refused(kw, match):
    X, y = _regression()
    kw = {"epochs": 2, **kw}
    with pytest.raises(ValueError, match=match):
        _fit(_net(), X, y, **kw)


# -- predict / evaluate ----------------------------------------------------------------------------------
def test_predict_returns_an_array_in_eval_mode_and_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 50, seed=0), nn.Dropout(0.5, seed=0))
    X = np.ones((3, 2))
    out = nn.predict(model, X)
    assert isinstance(out, np.ndarray) and model.training
    with_dropout_off = nn.Sequential(model[0])(X).data
    np.testing.assert_array_equal(out, with_dropout_off)


def test_predict_runs_forward_without_a_graph():
    import autograd

    class Probe(nn.Module):
        def forward(self, x):
            self.grad_enabled = autograd.is_grad_enabled()
            return autograd.Tensor(x)

    probe = Probe()
    nn.predict(probe, np.ones((2, 2)))
    assert probe.grad_enabled is False


def test_predict_in_batches_gives_the_same_answer():
    model = _net()
    X, _ = _regression()
    np.testing.assert_allclose(nn.predict(model, X, batch_size=7), nn.predict(model, X), rtol=1e-15)


def test_evaluate_reports_the_loss_and_metrics_of_the_predictions():
    X, y = _classification()
    model = _net("sigmoid")
    result = nn.evaluate(model, X, y, "bce", metrics=["accuracy", "mse"])
    p = nn.predict(model, X)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert result["loss"] == pytest.approx(expected, rel=1e-12)
    assert result["accuracy"] == M.accuracy(y, p) and result["mse"] == M.mse(y, p)


def test_a_float32_model_trains_and_stays_float32():
    X, y = _regression()
    model = _net().to(np.float32)
    h = _fit(model, X, y, epochs=20, lr=0.1)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert h.train_loss[-1] < h.train_loss[0]


# -- the seeds' experiments --------------------------------------------------------------------------------
def test_seed_002_moons_reaches_95_percent_test_accuracy():
    X, y = D.make_moons(500, noise=0.2, seed=42, legacy="tutorial")
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.2, seed=42, legacy="tutorial")
    scaler = D.Standardizer().fit(X_train)
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)
    h = nn.fit(model, scaler.transform(X_train), y_train, nn.BCELoss(), optim.SGD(model.parameters(), lr=0.1),
               epochs=2000, progress=False)
    assert h.train_loss[-1] < 0.1
    assert M.accuracy(y_test, nn.predict(model, scaler.transform(X_test))) >= 0.95


def test_xor_is_learned():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    model = nn.MLP([2, 4, 1], activations=["tanh", "sigmoid"], seed=42)
    nn.fit(model, X, y, "bce", optim.SGD(model.parameters(), lr=0.5), epochs=2000, progress=False)
    np.testing.assert_array_equal(nn.predict(model, X) > 0.5, y == 1)


class _Recorder(nn.Callback):
    """Records every hook fit calls, and stops after `stop_at` epochs."""

    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def on_train_begin(self, run):
        self.calls.append("begin")

    def before_update(self, run, loss):
        self.calls.append(("before", run.epoch, run.step))

    def after_update(self, run, loss):
        self.calls.append(("after", run.epoch, run.step))

    def on_epoch_end(self, run):
        self.calls.append(("epoch", run.epoch, len(run.history.train_loss)))
        if run.epoch == self.stop_at:
            run.stop_reason = "stopped by the recorder"

    def on_train_end(self, run):
        self.calls.append("end")


def test_a_user_callback_sees_every_step_and_epoch_in_order():
    X, y = _regression(n=20)
    rec = _Recorder()
    _fit(_net(), X, y, epochs=2, batch_size=10, callbacks=[rec])
    steps = [(k, e, s) for e in (1, 2) for s in (1, 2) for k in ("before", "after")]
    assert rec.calls == ["begin", *steps[:4], ("epoch", 1, 1), *steps[4:], ("epoch", 2, 2), "end"]


def test_a_user_callback_stops_training_with_its_reason():
    X, y = _regression()
    h = _fit(_net(), X, y, epochs=50, callbacks=[_Recorder(stop_at=3)])
    assert h.epochs == 3 and h.stop_reason == "stopped by the recorder"


def test_callbacks_end_even_when_training_fails():
    X, y = _regression()
    rec = _Recorder()
    with pytest.raises(FloatingPointError, match="update at epoch 1, step 1 made a weight non-finite"):
        with np.errstate(over="ignore", invalid="ignore"):
            _fit(_net(), X, y * 1e10, lr=1e300, callbacks=[rec])
    assert rec.calls == ["begin", ("before", 1, 1), "end"]   # the finite guard's after_update runs first


def test_divergence_is_a_training_diverged_error_naming_what_and_where():
    from nn.train import TrainingDiverged
    model = nn.MLP([1, 4, 1], activations=["relu", "identity"], seed=0)
    X, y = np.linspace(-1, 1, 8).reshape(-1, 1), np.full((8, 1), 1e200)
    with pytest.raises(TrainingDiverged) as err, np.errstate(over="ignore"):
        nn.fit(model, X, y, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    assert isinstance(err.value, FloatingPointError) and err.value.epoch == 1 and err.value.step == 1
    assert err.value.what in str(err.value).replace("fit: loss", "the loss")


def test_progress_lines_print_about_ten_lines_with_epoch_loss_and_eta(capsys):
    from nn.train import ProgressLines
    model = nn.MLP([1, 3, 1], activations=["tanh", "identity"], seed=0)
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    nn.fit(model, X, X ** 2, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), epochs=50,
           progress=False, callbacks=[ProgressLines()])
    lines = capsys.readouterr().out.splitlines()
    assert 10 <= len(lines) <= 12 and lines[0].startswith("epoch  1/50  loss ") and lines[-1].startswith("epoch 50/50")
    assert all("elapsed" in ln and "ETA" in ln for ln in lines)
