"""Shared helpers of the benchmarks: data, baselines, timers and compile counters.

The baselines are written here on purpose, in the plainest style that a course
would teach, so that the benchmarks compare skdeepens with what a user would
otherwise write: a Python loop over members and mini-batches calling one jitted
Adam step per batch (NumPy shuffles, no ``jax.random``), scikit-learn's MLP once
per member, and a PyTorch loop over members.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# --------------------------------------------------------------------- data


def make_reference(n_samples=20000, n_features=8, random_state=0):
    """The speed issue's problem: y = sum_j sin(x_j) + N(0, 0.1^2), standardised."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-3.0, 3.0, size=(n_samples, n_features))
    y = np.sin(X).sum(axis=1) + rng.normal(0.0, 0.1, size=n_samples)
    X = (X - X.mean(0)) / X.std(0)
    y = (y - y.mean()) / y.std()
    return X, y


def make_spirals_data(n_samples_per_class=5000, random_state=0):
    from skdeepens.datasets import make_spirals

    return make_spirals(
        n_samples_per_class=n_samples_per_class, random_state=random_state
    )


# ------------------------------------------------------------------ timing


def median(values):
    return statistics.median(values)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def repeat_time(fn, reps):
    """Wall times of ``reps`` calls of ``fn()``."""
    return [timed(fn)[0] for _ in range(reps)]


def latency_us(fn, n_calls):
    """Median wall time of one call, in microseconds, after 10 warm-up calls."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(n_calls):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e3


def run_python(code, timeout=600):
    """Run ``code`` in a fresh interpreter; return (wall s, last JSON line)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return wall, (json.loads(lines[-1]) if lines else {})


# ---------------------------------------------------------------- printing


def versions_header(title):
    import jax
    import jaxlib
    import optax
    import sklearn

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(f"== {title}")
    print(
        f"python {platform.python_version()}, jax {jax.__version__}, jaxlib "
        f"{jaxlib.__version__}, optax {optax.__version__}, numpy {np.__version__}, "
        f"sklearn {sklearn.__version__}, torch {torch_version}"
    )
    print(
        f"cores: os.cpu_count()={os.cpu_count()}, affinity="
        f"{len(os.sched_getaffinity(0))}, jax devices={jax.devices()}"
    )


def table(title, header, rows):
    """Print a plain-text table; cells are formatted with str() unless floats."""

    def fmt(cell):
        if isinstance(cell, float):
            return f"{cell:.4g}"
        return str(cell)

    cells = [[fmt(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
        for i, h in enumerate(header)
    ]
    print(f"\n-- {title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    sys.stdout.flush()


# ------------------------------------------------------- compile counting


class CompileCounter:
    """Count and time JAX compilations with ``jax.monitoring`` duration events.

    JAX records ``/jax/core/compile/backend_compile_duration`` once per XLA
    compilation (cache misses only) and ``jaxpr_trace_duration`` once per
    trace; the persistent cache, when enabled, skips the backend compile.
    """

    BACKEND = "/jax/core/compile/backend_compile_duration"
    TRACE = "/jax/core/compile/jaxpr_trace_duration"
    LOWER = "/jax/core/compile/jaxpr_to_mlir_module_duration"

    def __init__(self):
        import jax

        self.events = []
        jax.monitoring.register_event_duration_secs_listener(self._listen)

    def _listen(self, name, duration, **kwargs):
        self.events.append((name, duration))

    def snapshot(self):
        return len(self.events)

    def since(self, mark):
        """(number of backend compiles, their seconds, trace+lower seconds)."""
        new = self.events[mark:]
        backend = [d for n, d in new if n == self.BACKEND]
        front = sum(d for n, d in new if n in (self.TRACE, self.LOWER))
        return len(backend), sum(backend), front


# --------------------------------------------------------------- FLOPs


def mlp_step_flops(batch, sizes, adversarial=False):
    """Matmul FLOPs of one Adam step of one member (forward + backward).

    ``sizes`` is (n_features, *hidden, n_outputs). Forward: 2 B fi fo per layer.
    Backward: the weight gradient of every layer (2 B fi fo) plus the input
    gradient of every layer but the first (2 B fi fo). FGSM adds a forward and
    a full backward to the inputs, then a forward + backward on the perturbed
    batch.
    """
    layers = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * batch * fi * fo for fi, fo in layers)
    weight_grads = forward
    input_grads_no_first = sum(2 * batch * fi * fo for fi, fo in layers[1:])
    clean = forward + weight_grads + input_grads_no_first
    if not adversarial:
        return clean
    fgsm = forward + forward  # forward + backward to x through every layer
    return clean + fgsm + clean


def matmul_gflops(n=2048, reps=5):
    """Best-of fp32 matmul throughput of NumPy and JAX on this machine."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    flops = 2.0 * n**3
    a @ b
    numpy_best = min(repeat_time(lambda: a @ b, reps))
    ja, jb = jnp.asarray(a), jnp.asarray(b)
    mm = jax.jit(jnp.matmul)
    mm(ja, jb).block_until_ready()
    jax_best = min(repeat_time(lambda: mm(ja, jb).block_until_ready(), reps))
    return flops / numpy_best / 1e9, flops / jax_best / 1e9


# ---------------------------------------------------------- baselines


def _glorot(rng, sizes):
    params = []
    for fi, fo in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fi + fo))
        params.append(
            (
                rng.uniform(-bound, bound, (fi, fo)).astype(np.float32),
                rng.uniform(-bound, bound, fo).astype(np.float32),
            )
        )
    return params


_TEACHING_STEP = {}


def _teaching_step(loss):
    """A jitted Adam step of one network (built once per loss, module level)."""
    if loss in _TEACHING_STEP:
        return _TEACHING_STEP[loss]
    import jax
    import jax.numpy as jnp
    import optax

    def forward(params, x):
        *hidden, (w, b) = params
        for wh, bh in hidden:
            x = jax.nn.relu(x @ wh + bh)
        return x @ w + b

    def gaussian_nll(params, x, y):
        out = forward(params, x)
        mu, sigma = out[:, 0], jax.nn.softplus(out[:, 1]) + 1e-6
        return jnp.mean(jnp.log(sigma) + 0.5 * jnp.square(y - mu) / sigma**2)

    def cross_entropy(params, x, y):
        logits = forward(params, x)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))

    objective = {"gaussian_nll": gaussian_nll, "log_loss": cross_entropy}[loss]

    @jax.jit
    def step(params, opt_state, x, y, lr):
        loss_value, grads = jax.value_and_grad(objective)(params, x, y)
        updates, opt_state = optax.adam(lr).update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss_value

    _TEACHING_STEP[loss] = step
    return step


def teaching_jax_fit(X, y, *, n_members, hidden, n_outputs, loss, lr, batch, epochs):
    """The course's loop: members one by one, one jitted Adam step per batch."""
    import jax.numpy as jnp
    import optax

    step = _teaching_step(loss)
    X = X.astype(np.float32)
    y = y.astype(np.int32 if loss == "log_loss" else np.float32)
    sizes = (X.shape[1], *hidden, n_outputs)
    members = []
    for m in range(n_members):
        rng = np.random.default_rng(m)
        params = [tuple(map(jnp.asarray, layer)) for layer in _glorot(rng, sizes)]
        opt_state = optax.adam(lr).init(params)
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch):
                idx = order[start : start + batch]
                params, opt_state, _ = step(params, opt_state, X[idx], y[idx], lr)
        members.append(params)
    return members


def sklearn_fit(X, y, *, n_members, hidden, lr, batch, epochs, classifier=False):
    """scikit-learn's MLP once per member, every epoch run (no early stop)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if classifier else MLPRegressor
    models = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for m in range(n_members):
            models.append(
                cls(
                    hidden_layer_sizes=hidden,
                    learning_rate_init=lr,
                    batch_size=batch,
                    max_iter=epochs,
                    n_iter_no_change=epochs + 1,
                    tol=0.0,
                    random_state=m,
                ).fit(X, y)
            )
    return models


def torch_fit(
    X, y, *, n_members, hidden, n_outputs, loss, lr, batch, epochs, batched=False
):
    """PyTorch: a loop over members, or all members at once with ``bmm``.

    The batched variant holds every member's weights in one tensor with a
    leading member axis (what ``torch.func.vmap`` over members computes) and
    one Adam over them: Adam is elementwise, and the summed loss gives each
    member its own gradient.
    """
    import torch

    torch.set_num_threads(2)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.long if loss == "log_loss" else torch.float32)
    sizes = (X.shape[1], *hidden, n_outputs)

    def objective(out, target):
        if loss == "log_loss":
            return torch.nn.functional.cross_entropy(out, target)
        mu, sigma = out[..., 0], torch.nn.functional.softplus(out[..., 1]) + 1e-6
        return torch.mean(torch.log(sigma) + 0.5 * (target - mu) ** 2 / sigma**2)

    if batched:
        rngs = [np.random.default_rng(m) for m in range(n_members)]
        inits = [_glorot(rng, sizes) for rng in rngs]
        params = []
        for i in range(len(sizes) - 1):
            w = torch.tensor(np.stack([p[i][0] for p in inits]), requires_grad=True)
            b = torch.tensor(np.stack([p[i][1] for p in inits])[:, None, :])
            params += [w, b.requires_grad_()]
        opt = torch.optim.Adam(params, lr=lr)
        for _ in range(epochs):
            orders = torch.as_tensor(np.stack([r.permutation(len(X)) for r in rngs]))
            for start in range(0, len(X), batch):
                idx = orders[:, start : start + batch]
                h = Xt[idx]
                for i in range(0, len(params), 2):
                    h = torch.baddbmm(params[i + 1], h, params[i])
                    if i + 2 < len(params):
                        h = torch.relu(h)
                target = yt[idx]
                if loss == "log_loss":
                    value = objective(h.reshape(-1, n_outputs), target.reshape(-1))
                else:
                    value = objective(h, target)
                opt.zero_grad(set_to_none=True)
                (value * n_members).backward()
                opt.step()
        return params

    members = []
    for m in range(n_members):
        rng = np.random.default_rng(m)
        layers = []
        for i, (w, b) in enumerate(_glorot(rng, sizes)):
            lin = torch.nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(w.T))
                lin.bias.copy_(torch.as_tensor(b))
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(epochs):
            order = torch.as_tensor(rng.permutation(len(X)))
            for start in range(0, len(X), batch):
                idx = order[start : start + batch]
                value = objective(net(Xt[idx]), yt[idx])
                opt.zero_grad(set_to_none=True)
                value.backward()
                opt.step()
        members.append(net)
    return members


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def quiet_convergence():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def peak_rss_mb():
    """This process's resident-set high-water mark, in MB (Linux: KiB units)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def grid_search_compiles(estimator, X, y, grid, counter, cv=5):
    """Wall time and compilations of a cold, then a warm, GridSearchCV.

    Returns ``{"cold": [...], "warm": [...]}``, each ``[wall s, new trainer jit
    cache entries, XLA compiles, compile s, trace s]``; run it in a fresh process
    (``run_python``) so that "cold" starts with empty caches.
    """
    from sklearn.model_selection import GridSearchCV

    from skdeepens._core import training

    out = {}
    for run in ("cold", "warm"):
        mark, size = counter.snapshot(), training.trainer_cache_size()
        start = time.perf_counter()
        GridSearchCV(estimator, grid, cv=cv).fit(X, y)
        wall = time.perf_counter() - start
        n, secs, front = counter.since(mark)
        out[run] = [
            wall,
            training.trainer_cache_size() - size,
            n,
            secs,
            front,
        ]
    return out
