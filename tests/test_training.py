"""The shared trainers: what they call, what they record, and that they actually learn."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.training import fingerprint, fit, load_or_train, train_gan


def _bce_d(r, f):
    return F.softplus(-r).mean() + F.softplus(f).mean()


def _bce_g(f):
    return F.softplus(-f).mean()


def _tiny():
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    D = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
    return G, D


def test_gan_learns_to_move_its_samples_to_the_data():
    G, D = _tiny()
    data = lambda n: 3.0 + 0.5 * torch.randn(n, 1)  # noqa: E731
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), 2e-3, betas=(0.5, 0.999)) for m in (G, D))
    with torch.no_grad():
        before = float(G(torch.randn(2000, 2)).mean())
    train_gan(G, D, data, z_dim=2, steps=600, opt_G=opt_G, opt_D=opt_D, d_loss=_bce_d, g_loss=_bce_g,
              batch_size=128, show_progress=False)
    with torch.no_grad():
        after = float(G(torch.randn(2000, 2)).mean())
    assert abs(after - 3.0) < 0.5 < abs(before - 3.0), f"mean moved from {before:.2f} to {after:.2f}, data mean 3"


def test_history_snapshots_and_evals():
    G, D = _tiny()
    opt_G, opt_D = (torch.optim.SGD(m.parameters(), 1e-2) for m in (G, D))
    evals = []
    h = train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=10, opt_G=opt_G, opt_D=opt_D, d_loss=_bce_d,
                  g_loss=_bce_g, n_snapshots=3, fixed_noise=torch.randn(5, 2),
                  eval_fn=lambda g, s: evals.append(s) or {"score": float(s)}, eval_every=5, show_progress=False)
    assert len(h.d_loss) == len(h.g_loss) == len(h.d_real) == len(h.d_fake) == 10
    assert sorted(h.snapshots) == [0, 5, 10] and h.snapshots[0].shape == (5, 1)
    assert evals == [0, 5, 10] and h.evals[-1] == {"step": 10, "score": 10.0}
    assert h.seconds > 0


def test_n_critic_and_clipping_run_after_every_critic_step():
    G, D = _tiny()
    opt_G, opt_D = (torch.optim.SGD(m.parameters(), 1e-2) for m in (G, D))
    calls = {"d": 0, "clip": []}

    def d_loss(r, f):
        calls["d"] += 1
        return -r.mean() + f.mean()

    def clip(net, c):
        calls["clip"].append(c)
        with torch.no_grad():
            for p in net.parameters():
                p.clamp_(-c, c)

    train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=4, opt_G=opt_G, opt_D=opt_D, d_loss=d_loss,
              g_loss=lambda f: -f.mean(), n_critic=5, clip_fn=clip, clip_value=0.01, show_progress=False)
    assert calls["d"] == 20 and calls["clip"] == [0.01] * 20
    assert all(float(p.detach().abs().max()) <= 0.01 for p in D.parameters())


def test_sample_losses_and_step_functions():
    G, _ = _tiny()
    opt_G = torch.optim.SGD(G.parameters(), 1e-1)
    seen = []
    h = train_gan(G, None, lambda n: torch.full((n, 1), 2.0), z_dim=2, steps=50, opt_G=opt_G, d_loss=None,
                  g_loss=lambda r, f: ((r - f) ** 2).mean(), g_loss_on="samples", show_progress=False)
    assert h.g_loss[-1] < h.g_loss[0] and all(v != v for v in h.d_loss)  # d_loss is NaN: no discriminator
    D = nn.Linear(1, 1)
    opt_D = torch.optim.SGD(D.parameters(), 1e-2)
    h = train_gan(G, D, lambda n: torch.zeros(n, 1), z_dim=2, steps=3, opt_G=opt_G, opt_D=opt_D,
                  step_fn=lambda g, d, og, od, real, z: seen.append((d, od, real.shape, z)) or {"d_loss": 1, "g_loss": 2},
                  batch_size=7, show_progress=False)
    assert seen == [(D, opt_D, (7, 1), 2)] * 3 and h.g_loss == [2.0] * 3


def test_train_gan_rejects_missing_pieces():
    G, D = _tiny()
    with pytest.raises(ValueError, match="give g_loss"):
        train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=1, opt_G=None)
    with pytest.raises(ValueError, match="g_loss_on"):
        train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=1, opt_G=None, g_loss=_bce_g, g_loss_on="x")


def test_fit_reduces_the_loss_and_logs_terms():
    torch.manual_seed(0)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
    model = nn.Linear(3, 1)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]

    def loss_fn(m, batch):
        xb, yb = batch
        loss = ((m(xb).squeeze(1) - yb) ** 2).mean()
        return loss, {"mse": loss.detach()}

    h = fit(model, batches, loss_fn, torch.optim.SGD(model.parameters(), 0.1), epochs=5,
            on_epoch_end=lambda m, e: {"epoch": e}, show_progress=False)
    assert h["loss"][-1] < 0.01 < h["loss"][0]
    assert len(h["mse"]) == 40 and h["epoch_epoch"] == [1, 2, 3, 4, 5] and len(h["seconds"]) == 5


def test_load_or_train_loads_a_finished_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSE_CHECKPOINTS", raising=False)
    calls = []

    def make_train(model):
        def train():
            calls.append(1)
            with torch.no_grad():
                model.weight.fill_(7.0)
            return {"loss": [1.0, 0.5]}
        return train

    m1 = nn.Linear(2, 1)
    h1, loaded1 = load_or_train("unit", {"lr": 0.1}, {"m": m1}, make_train(m1), code=(_bce_d,))
    m2 = nn.Linear(2, 1)
    h2, loaded2 = load_or_train("unit", {"lr": 0.1}, {"m": m2}, make_train(m2), code=(_bce_d,))
    assert (loaded1, loaded2, len(calls)) == (False, True, 1)
    assert h2 == h1 and torch.equal(m2.weight, torch.full((1, 2), 7.0))
    # another configuration, or other code, trains again
    load_or_train("unit", {"lr": 0.2}, {"m": nn.Linear(2, 1)}, make_train(nn.Linear(2, 1)), code=(_bce_d,))
    load_or_train("unit", {"lr": 0.1}, {"m": nn.Linear(2, 1)}, make_train(nn.Linear(2, 1)), code=(_bce_g,))
    assert len(calls) == 3
    # under nbgrader every submission trains its own models
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    _, loaded = load_or_train("unit", {"lr": 0.1}, {"m": nn.Linear(2, 1)}, make_train(nn.Linear(2, 1)), code=(_bce_d,))
    assert loaded is False and len(calls) == 4


def test_fingerprint_follows_source_code():
    assert fingerprint(_bce_d) == fingerprint(_bce_d) != fingerprint(_bce_g)


def test_fit_keeps_the_best_epoch_and_steps_the_scheduler():
    torch.manual_seed(0)
    model = nn.Linear(1, 1, bias=False)
    batches = [(torch.ones(4, 1), torch.zeros(4))]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scores = iter([0.5, 0.9, 0.7])  # the second epoch is the best
    weights = []

    def on_epoch_end(m, epoch):
        weights.append(m.weight.item())
        return {"val": next(scores)}

    h = fit(model, batches, lambda m, b: ((m(b[0]).squeeze(1) - b[1]) ** 2).mean(), optimizer, 3,
            on_epoch_end=on_epoch_end, keep_best="val", show_progress=False,
            scheduler=torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5))
    assert h["best_epoch"] == [2] and model.weight.item() == weights[1] != weights[2]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)
    with pytest.raises(ValueError, match="keep_best"):
        fit(model, batches, lambda m, b: m(b[0]).sum(), optimizer, 1, keep_best="val", show_progress=False)


def test_fit_steps_a_per_step_scheduler_after_every_optimiser_step():
    model = nn.Linear(1, 1)
    batches = [(torch.ones(2, 1), torch.zeros(2))] * 5  # five steps per epoch
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    fit(model, batches, lambda m, b: m(b[0]).pow(2).mean(), optimizer, 2, scheduler=scheduler,
        scheduler_every="step", show_progress=False)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 ** 10), "2 epochs x 5 steps = 10 scheduler steps"
    with pytest.raises(ValueError, match="scheduler_every"):
        fit(model, batches, lambda m, b: m(b[0]).sum(), optimizer, 1, scheduler=scheduler, scheduler_every="batch",
            show_progress=False)


class _CondG(nn.Module):
    """A linear conditional generator (z 2, one-hot c 3 -> x 4) that records the label shapes it is given."""

    def __init__(self, calls=None):
        super().__init__()
        self.lin, self.calls = nn.Linear(2 + 3, 4), calls

    def forward(self, z, c):
        if self.calls is not None:
            self.calls["G"].append(c.shape)
        return self.lin(torch.cat([z, c], 1))


class _CondD(nn.Module):
    """A linear conditional discriminator (x 4, one-hot c 3 -> score) that records the input shapes it is given."""

    def __init__(self, calls=None):
        super().__init__()
        self.lin, self.calls = nn.Linear(4 + 3, 1), calls

    def forward(self, x, c):
        if self.calls is not None:
            self.calls["D"].append((x.shape, c.shape))
        return self.lin(torch.cat([x, c], 1))


def test_conditional_models_get_their_labels_with_real_and_generated_batches():
    calls = {"G": [], "D": []}

    def real_batches():
        while True:
            yield torch.randn(8, 4), torch.eye(3)[torch.randint(3, (8,))]

    G, D = _CondG(calls), _CondD(calls)
    fixed = (torch.randn(6, 2), torch.eye(3)[torch.arange(6) % 3])
    h = train_gan(G, D, real_batches(), z_dim=2, steps=5, opt_G=torch.optim.SGD(G.parameters(), 0.01),
                  opt_D=torch.optim.SGD(D.parameters(), 0.01), d_loss=_bce_d, g_loss=_bce_g, batch_size=8,
                  noise=lambda n: (torch.randn(n, 2), torch.eye(3)[torch.randint(3, (n,))]), fixed_noise=fixed,
                  show_progress=False)
    assert len(h.d_loss) == 5 and all(torch.isfinite(torch.tensor(h.d_loss + h.g_loss)))
    assert all(shape == (8, 3) for shape in calls["G"][:-1] if shape[0] == 8)
    assert all(c == (x[0], 3) for x, c in calls["D"]) and len(calls["D"]) == 5 * 3  # real + fake + G step
    assert {tuple(s.shape) for s in h.snapshots.values()} == {(6, 4)}


def test_fit_takes_snapshots_before_training_every_few_epochs_and_after_the_last():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    batches = [(torch.randn(8, 2),)]
    modes = []

    def snap(m):
        modes.append((m.training, torch.is_grad_enabled()))
        return m(torch.ones(1, 2))

    h = fit(model, batches, lambda m, b: m(b[0]).pow(2).mean(), torch.optim.SGD(model.parameters(), 0.1), epochs=5,
            snapshot_fn=snap, snapshot_every=2, show_progress=False)
    assert h["snapshot_epochs"] == [0, 2, 4, 5]
    assert len(h["snapshots"]) == 4 and not h["snapshots"][0].requires_grad
    assert modes == [(False, False)] * 4, "snapshots are taken in eval mode without gradients"
    assert model.training, "the model is back in training mode after a snapshot"
    assert not torch.equal(h["snapshots"][0], h["snapshots"][-1]), "the snapshots follow the training"


def test_mismatched_real_pairs_join_the_fake_scores_of_the_discriminator_loss():
    """Matching-aware D: real images with wrong labels are scored and passed to d_loss with the fakes."""
    seen = []
    G, D = _CondG(), _CondD()
    labels = torch.eye(3)[torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])]
    x = torch.randn(8, 4)

    def d_loss(r, f):
        seen.append((r.shape, f.shape))
        return _bce_d(r, f)

    def wrong(c):
        return c.roll(1, dims=1)

    h = train_gan(G, D, lambda n: (x, labels), z_dim=2, steps=2, opt_G=torch.optim.SGD(G.parameters(), 0.0),
                  opt_D=torch.optim.SGD(D.parameters(), 0.0), d_loss=d_loss, g_loss=_bce_g, batch_size=8,
                  noise=lambda n: (torch.zeros(n, 2), labels), fixed_noise=(torch.zeros(8, 2), labels), mismatched=wrong,
                  show_progress=False)
    assert seen == [((8, 1), (16, 1))] * 2, f"d_loss should get 8 real and 8 + 8 fake scores, got {seen}"
    with torch.no_grad():
        expected = _bce_d(D(x, labels), torch.cat([D(G(torch.zeros(8, 2), labels), labels), D(x, wrong(labels))]))
        d_fake = D(G(torch.zeros(8, 2), labels), labels).mean()
    assert h.d_loss[-1] == pytest.approx(float(expected), rel=1e-5)
    assert h.d_fake[-1] == pytest.approx(float(d_fake), rel=1e-5), "d_fake records the generated pairs only"
    with pytest.raises(ValueError, match="conditional"):
        G1, D1 = _tiny()
        train_gan(G1, D1, lambda n: torch.randn(n, 1), z_dim=2, steps=1, opt_G=torch.optim.SGD(G1.parameters(), 0.0),
                  opt_D=torch.optim.SGD(D1.parameters(), 0.0), d_loss=_bce_d, g_loss=_bce_g, mismatched=wrong,
                  show_progress=False)


def test_snapshots_at_chosen_steps():
    G, D = _tiny()
    opt_G, opt_D = (torch.optim.SGD(m.parameters(), 1e-2) for m in (G, D))
    h = train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=10, opt_G=opt_G, opt_D=opt_D, d_loss=_bce_d,
                  g_loss=_bce_g, snapshot_steps=(2, 5, 10), fixed_noise=torch.randn(4, 2), show_progress=False)
    assert sorted(h.snapshots) == [2, 5, 10]
    with pytest.raises(ValueError, match="snapshot_steps must lie in 0..10"):
        train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=10, opt_G=opt_G, opt_D=opt_D, d_loss=_bce_d,
                  g_loss=_bce_g, snapshot_steps=(11,), show_progress=False)


# --- several runs side by side (course_utils.training.parallel) ---------------------------------------------------


def _ring_job(seed: int, name: str = "side-by-side", broken: bool = False):
    """A small GAN run as a TrainJob; the models are built (and the random state taken) when the job is made."""
    from course_utils import seeding
    from course_utils.training import TrainJob

    seeding.seed_everything(seed)
    G, D = (nn.Sequential(nn.Linear(a, 32), nn.Tanh(), nn.Linear(32, b)) for a, b in ((4, 2), (2, 1)))

    def g_loss(f):
        if broken:
            raise ValueError("a bug in the generator loss")
        return _bce_g(f)

    def train():
        opt_G, opt_D = (torch.optim.Adam(m.parameters(), 1e-3) for m in (G, D))
        return train_gan(G, D, lambda n: torch.randn(n, 2) + 2, z_dim=4, steps=120, opt_G=opt_G, opt_D=opt_D,
                         d_loss=_bce_d, g_loss=g_loss, batch_size=32, show_progress=False)

    return TrainJob(name, {"seed": seed, "broken": broken}, {"G": G, "D": D}, train)


def _weights(job):
    return torch.cat([p.detach().flatten() for m in job.models.values() for p in m.parameters()])


def test_runs_trained_side_by_side_equal_runs_trained_one_after_another(clean_env, monkeypatch):
    from course_utils.training import load_or_train_all

    monkeypatch.setenv("COURSE_CHECKPOINTS", "0")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the children train with one thread each: the same arithmetic here
    try:
        serial = {seed: _ring_job(seed) for seed in range(3)}
        side_by_side = {seed: _ring_job(seed) for seed in range(3)}
        one_after_another = load_or_train_all(serial, workers=1)
        together = load_or_train_all(side_by_side, workers=2)
    finally:
        torch.set_num_threads(threads)
    for seed in range(3):
        assert together[seed][1] is False and one_after_another[seed][1] is False
        assert torch.equal(_weights(serial[seed]), _weights(side_by_side[seed])), f"seed {seed}: weights differ"
        assert together[seed][0].g_loss == one_after_another[seed][0].g_loss, f"seed {seed}: histories differ"
    assert not torch.equal(_weights(serial[0]), _weights(serial[1])), "different seeds trained the same run"


def test_a_job_trains_from_the_random_state_it_was_made_with(clean_env, monkeypatch):
    from course_utils.training import load_or_train_all

    monkeypatch.setenv("COURSE_CHECKPOINTS", "0")
    now = _ring_job(0)
    load_or_train_all({0: now}, workers=1)
    later = _ring_job(0)
    torch.randn(1000)  # other work between making the job and training it
    _ring_job(5)
    load_or_train_all({0: later}, workers=1)
    assert torch.equal(_weights(now), _weights(later)), "the run depended on what happened after its job was made"


def test_runs_trained_side_by_side_are_cached_and_loaded_the_next_time(clean_env, monkeypatch):
    from course_utils.training import load_or_train_all

    monkeypatch.delenv("COURSE_CHECKPOINTS", raising=False)
    first = {seed: _ring_job(seed) for seed in range(2)}
    trained = load_or_train_all(first, workers=2)
    again = {seed: _ring_job(seed) for seed in range(2)}
    loaded = load_or_train_all(again, workers=2)
    assert [flag for _, flag in trained.values()] == [False, False]
    assert [flag for _, flag in loaded.values()] == [True, True]
    for seed in range(2):
        assert torch.equal(_weights(first[seed]), _weights(again[seed]))
        assert loaded[seed][0].g_loss == trained[seed][0].g_loss


def test_a_failing_run_stops_the_others_and_shows_its_traceback(clean_env, monkeypatch):
    from course_utils.training import load_or_train_all

    monkeypatch.setenv("COURSE_CHECKPOINTS", "0")
    jobs = {seed: _ring_job(seed, broken=seed == 1) for seed in range(3)}
    with pytest.raises(RuntimeError, match=r"(?s)run 1 failed.*ValueError: a bug in the generator loss"):
        load_or_train_all(jobs, workers=2)


def test_runs_train_one_after_another_in_the_fast_profile_and_when_asked(clean_env, monkeypatch):
    from course_utils.training.parallel import default_workers

    monkeypatch.delenv("COURSE_TRAIN_WORKERS", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert default_workers(8) == 1
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert default_workers(8) == min(8, len(__import__("os").sched_getaffinity(0)))
    assert default_workers(1) == 1
    monkeypatch.setenv("COURSE_TRAIN_WORKERS", "1")
    assert default_workers(8) == 1
    monkeypatch.setenv("COURSE_TRAIN_WORKERS", "two")
    with pytest.raises(ValueError, match="COURSE_TRAIN_WORKERS"):
        default_workers(8)


def test_the_costliest_runs_start_first(clean_env, monkeypatch):
    from course_utils.training import load_or_train_all, parallel

    monkeypatch.setenv("COURSE_CHECKPOINTS", "0")
    started = []
    real_fork = parallel._fork_child
    monkeypatch.setattr(parallel, "_fork_child", lambda job, *a: started.append(job.config["seed"]) or real_fork(job, *a))
    jobs = {seed: _ring_job(seed) for seed in range(4)}
    for seed, cost in enumerate((1, 3, 1, 2)):
        jobs[seed].cost = cost
    results = load_or_train_all(jobs, workers=2)
    assert started == [1, 3, 0, 2], f"expected the costliest first (seeds 1, 3, then 0, 2), got {started}"
    assert list(results) == [0, 1, 2, 3], "the results must keep the jobs' own order"


def test_both_loops_return_one_history_type_read_by_key_or_attribute():
    from course_utils.training import GANHistory, History

    G, D = _tiny()
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), 1e-3) for m in (G, D))
    gan = train_gan(G, D, lambda n: torch.randn(n, 1), z_dim=2, steps=4, opt_G=opt_G, opt_D=opt_D, d_loss=_bce_d,
                    g_loss=_bce_g, batch_size=8, show_progress=False)
    sup = fit(D, [torch.randn(8, 1)] * 3, lambda m, x: m(x).pow(2).mean(), opt_D, 2, show_progress=False)
    assert isinstance(gan, History) and isinstance(sup, History)
    assert gan.d_loss is gan["d_loss"] and len(gan.g_loss) == 4 and sorted(gan.snapshots) == [0, 2, 4]
    assert sup.loss is sup["loss"] and len(sup.loss) == 6 and len(sup.seconds) == 2
    with pytest.raises(AttributeError, match="has no 'nothing'"):
        sup.nothing
    made = GANHistory(evals=[{"step": 0}])  # a reference run's history, made by a notebook
    assert made.evals == [{"step": 0}] and made.d_loss == [] and made.snapshots == {}


def test_the_loop_calls_callbacks_in_order_around_steps_and_epochs_inside_the_precision_scope():
    from course_utils.device import loop_precision
    from course_utils.training.loop import Callback, run

    calls = []

    class Record(Callback):
        def on_start(self, state):
            calls.append("start")

        def on_step(self, state, step):
            calls.append(f"step {step}")

        def on_epoch(self, state, epoch):
            calls.append(f"epoch {epoch}: {state.history['x']}")

        def on_end(self, state):
            calls.append("end")

    model = nn.Linear(1, 1)
    model.eval()
    modes = []

    def step(batch):
        modes.append(model.training)
        return {"x": torch.tensor(float(batch))}

    history = run(step, [1, 2], models=(model, None), precision=loop_precision(model), epochs=2, callbacks=[Record()],
                  show_progress=False)
    assert calls == ["start", "step 1", "step 2", "epoch 1: [1.0, 2.0]", "step 3", "step 4",
                     "epoch 2: [1.0, 2.0, 1.0, 2.0]", "end"]
    assert modes == [True] * 4, "models train in train mode"
    assert history["x"] == [1.0, 2.0, 1.0, 2.0]
