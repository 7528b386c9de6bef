"""The parameter and attribute documentation shared by both estimators."""


def _splice(doc, anchor, replacement):
    """``doc`` with its one ``anchor`` replaced; raises if it is not there once.

    The estimators' docstrings are spliced from the shared parameter list, so a
    reordering of that list must fail here rather than silently drop text.
    """
    if doc.count(anchor) != 1:
        raise RuntimeError(
            f"docstring anchor {anchor!r} found {doc.count(anchor)} times"
        )
    return doc.replace(anchor, replacement)


_COMMON_PARAMETERS_DOC = """
    n_estimators : int, default=5
        Number of members M. Member ``m`` depends only on ``random_state`` and
        ``m``: the first three members of a 5-member ensemble are the members of
        a 3-member one.
    hidden_layer_sizes : int or tuple of int, default=(50, 50)
        Widths of the hidden layers of every member. The paper's UCI setup uses
        one layer of 50; a second layer was the largest single improvement of
        test NLL on the UCI benchmark (benchmarks/uci.py) at a modest cost.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer nonlinearity, as in :class:`~sklearn.neural_network.MLPRegressor`.
    adversarial_epsilon : float or None, default=None
        FGSM adversarial training (Goodfellow et al., 2015): each step also
        trains on ``x + adversarial_epsilon * range * sign(grad_x loss)``, where
        ``range`` is each feature's range on the training data, and averages the
        two losses. The paper uses 0.01. ``None`` or 0 turns it off (and halves
        the cost of a step).
    alpha : float, default=1.0
        Strength of the L2 penalty ``0.5 * alpha * ||W||**2`` (weight decay),
        divided by the total sample weight: the objective is then the maximum a
        posteriori objective of the data set under a Gaussian prior of precision
        ``alpha`` on the weights (``alpha=1``: a standard normal prior), whose
        influence fades as the data grow.
    batch_size : int or "auto", default="auto"
        Rows per minibatch. "auto" takes the power of two nearest to
        ``n_samples / 100``, between 32 and 256: small data sets get small
        batches and so enough gradient steps per epoch, large ones batches of
        256 for throughput.
    learning_rate : {"constant", "adaptive"}, default="adaptive"
        Learning-rate schedule of each member, named as in scikit-learn's MLP.
        "constant" keeps ``learning_rate_init`` and stops a member once its
        monitored loss (validation loss with ``early_stopping``, else training
        loss) has not improved by ``tol`` for the patience
        (``n_iter_no_change``). "adaptive" divides the member's rate by 5
        instead, at most 3 times, and stops it after a stall of the patience
        at its smallest rate. Each member keeps its own rate. With early
        stopping the adaptive schedule can only refine each member's best
        snapshot; it pays on data with little noise, where the mean must
        settle (benchmarks/defaults_study.py).
    learning_rate_init : float, default=1e-2
        Adam's step size. Inputs and targets are standardised, so one rate fits
        most data; early stopping catches the late overshoot a large rate risks.
    max_iter : int, default=5000
        Maximum number of epochs (passes over the training data), a cap: with
        the default stopping rule members usually stop long before it.
    shuffle : bool, default=True
        Whether each member draws its own data order every epoch.
    early_stopping : bool, default=True
        Set aside ``validation_fraction`` of the training data (or monitor the
        validation set ``X_val, y_val`` given to ``fit``) and stop each
        member when its validation loss (the training loss, without penalty or
        adversarial term) has not improved by ``tol`` for ``n_iter_no_change``
        epochs; each member keeps its best parameters (``best_epoch_``). On
        by default, unlike scikit-learn's MLP: a network trained on a
        likelihood overfits by growing overconfident (its variance shrinks)
        long before its error rises, and how long to train differs widely
        between data sets. With
        ``early_stopping=False`` a member stops when its training loss stalls.
    validation_fraction : float, default=0.1
        Share of the training data set aside when ``early_stopping=True``;
        ignored when ``fit`` is given ``X_val, y_val``.
    n_iter_no_change : int, np.inf or "auto", default="auto"
        Epochs without improvement by at least ``tol`` after which a member
        stops (or, with ``learning_rate="adaptive"``, its rate is reduced).
        "auto" counts the patience in gradient steps: the epochs that make
        4000 steps, at least 10, and at most what lets a member stalled at
        every rate stop within half of ``max_iter`` (small data sets make a
        step or two per epoch). ``np.inf`` gives the paper's fixed
        schedule: every member trains exactly ``max_iter`` epochs (keeping its
        best validation parameters if ``early_stopping``) and no
        ``ConvergenceWarning`` is raised.
    tol : float, default=1e-4
        Minimal improvement of the monitored loss that resets the count.
    prior_scale : float, default=0.0
        Randomized prior functions (Osband, Aslanides & Cassirer, 2018): each
        member predicts ``f_m(x) + prior_scale * p_m(x)``, where ``p_m`` is a
        fixed, untrained network of the member's architecture drawn from its
        own randomness (apart from its initialisation and data order), added
        to the mean (not the scale head) or to the logits, in standardised
        units. The trained part fits the data's residual from the prior; away
        from the data the members keep their priors' disagreement, so the
        epistemic uncertainty grows there. 0 turns it off (the fit is then
        unchanged bit for bit). See the user guide for when to use it.
    categorical_features : "from_dtype", None, or array-like, default="from_dtype"
        Which columns of X are categorical, with HistGradientBoosting's
        meaning: "from_dtype" takes a DataFrame's columns of dtype
        ``category``, and, beyond HistGradientBoosting, its string and
        object columns, so that a raw DataFrame fits as it is (a NumPy array
        has no categorical column); None: none; or a boolean mask of length
        ``n_features``, integer indices, or column names (strings; X must
        then be a DataFrame with those columns). Each categorical column is
        one-hot encoded, with one more code for "unknown": a category with
        fewer than 5 training rows, one never seen in training, and a
        missing value (NaN, None) in a column where missing values had fewer
        than 5 training rows take it (otherwise "missing" is a category of
        its own). So that the members learn what to predict for the unknown
        code, 5% of the training rows (at least one), drawn at random from
        ``random_state`` in each categorical column on its own, have their
        category replaced by it; validation and held-out rows never do. A
        column of more than 1000 categories raises. Missing values (NaN) in
        a numeric column are replaced by its weighted training median, and
        a column that had missing values in training gets a 0/1 indicator of
        them; infinities raise. The encoding is fitted once, at the first
        fit, and kept by ``warm_start`` and ``partial_fit``. With no
        categorical column and no missing value the fit is unchanged bit for
        bit; ``n_features_in_`` and ``feature_names_in_`` describe the raw
        columns.
    numeric_embedding : {"piecewise_linear", "periodic"} or None, default=None
        How each numeric column reaches the members' first dense layer
        (Gorishniy, Rubachev & Babenko, 2022); one-hot codes and missing-value
        indicators always pass as they are. None: its standardised value (the
        fit is unchanged bit for bit). Whatever the embedding, each
        standardised input is first clipped to its training range widened by
        one training standard deviation on each side: a value far outside
        the range is met as a value just past it, so the members cannot
        extrapolate without bound. "piecewise_linear": 16 features on
        weighted quantile bins of the training rows, each clipped to [0, 1],
        so a value outside the training range is met as the training
        extreme. "periodic": 16 features ``cos(2 pi c x + phi)`` of the
        standardised value, with frequencies ``c`` (initially normal, of
        standard deviation 0.1, and not penalised by ``alpha``) and phases
        learned by each member; bounded whatever x is, and different for
        each member, they make the members disagree far from the data. The
        bins are fitted once, at the first fit, and kept by ``warm_start``
        and ``partial_fit``; the periodic layer is the first pair of
        ``params_``.
    posterior_samples : int, default=0
        Samples of each member's posterior to keep (0: the deep ensemble
        itself, unchanged bit for bit). After training, each member starts a
        Markov chain at its parameters on its posterior: the likelihood of the
        training rows (the loss, which must be a negative log likelihood:
        not a point loss or ``"brier"``) times the Gaussian prior of standard
        deviation ``1 / sqrt(alpha)`` on the weights that the L2 penalty
        defines (flat on the biases). The chain is microcanonical Langevin
        Monte Carlo (MCLMC) with blackjax's tuning of its step size and
        momentum decoherence length, as in MILE (Sommer et al., 2025): 2000
        tuning steps, then ``posterior_samples`` samples 50 steps apart, each
        step on the whole training set (no FGSM, ``beta`` 0). Predictions
        mix all ``n_estimators * posterior_samples`` sampled networks
        uniformly: they are the components of ``predict_members``,
        ``predict_dist`` and the uncertainty split, and recalibration is
        fitted on them. Member m's samples depend only on ``random_state``
        and m. Needs blackjax (``pip install "skdeepens[sampling]"``). The
        fit's time grows with the training rows times the network's size
        (4-20x a default fit's time on the small UCI sets, on 2 cores), and
        prediction's with the number of components. ``partial_fit`` raises;
        a ``warm_start`` samples only the new members and keeps
        ``posterior_samples`` fixed. See the user guide's "Sampled members".
    warm_start : bool, default=False
        When True, a new call to ``fit`` keeps the fitted members and trains only
        the members added by a larger ``n_estimators`` (as in
        :class:`~sklearn.ensemble.BaggingRegressor`); they are the same networks
        a fresh fit would train. Changing ``activation``, ``loss``,
        ``hidden_layer_sizes``, ``prior_scale``, ``numeric_embedding``,
        ``posterior_samples``, the number of features or the width of ``y``
        between warm fits raises a ``ValueError``. ``partial_fit``
        always continues the fitted members, whatever ``warm_start`` is.
    random_state : int, RandomState instance or None, default=None
        Seeds every member's initial weights and data order.
    verbose : int, default=0
        What a fit prints to standard output. 0: nothing. 1: one status line,
        redrawn in place on a terminal a few times a second (elsewhere, as in
        a log, printed every few seconds) and printed once more at the end:
        the epochs done out of ``max_iter``, the members still training, the
        mean over members of each one's best validation loss so far (the
        latest training loss without a validation set), the elapsed time and
        an upper bound on the time left (every epoch up to ``max_iter`` at the
        current rate; early stopping may end sooner). 2 or more: one line per
        epoch with the mean training loss over the members still training, the
        mean validation loss when there is a validation set, and the elapsed
        time. ``partial_fit`` numbers its epochs on from earlier calls.
    n_jobs : int, default=None
        How many groups of members train at a time, in threads. The members
        are cut into one group per CPU core (on an accelerator, one group), a
        grouping fixed by ``n_estimators`` and the machine alone, so every
        ``n_jobs`` gives the same fitted members, bit for bit. None: every core
        this process may use; inside a joblib worker, the worker's share (as
        ``OMP_NUM_THREADS`` grants it), so that ``GridSearchCV(n_jobs=...)``
        does not oversubscribe. -1: every core; -2: all but one. Under
        ``joblib.parallel_backend("dask")`` the groups run as tasks on the
        cluster instead (see the user guide's "Scaling out").
"""


def _validation_set_doc(y_shape, y_text, unused, extra=""):
    """The documentation of ``fit``'s ``X_val, y_val, sample_weight_val``.

    Indented for a method's docstring. ``y_shape`` and ``y_text`` describe the
    estimator's ``y_val``, ``unused`` the settings under which no validation
    set is used; ``extra`` (lines indented by 12 spaces) adds to the
    description of ``X_val``.
    """
    return f"""\
        X_val : array-like of shape (n_val, n_features), default=None
            A validation set, with scikit-learn's HistGradientBoosting meaning:
            given, it monitors early stopping in place of the
            ``validation_fraction`` of the training rows (which is then
            ignored), and every training row trains. It is checked as X is at
            prediction (the features, their names and their order of the
            training data), and must come with ``y_val``; a fit that would not
            use it ({unused}) raises. In
            a :class:`~sklearn.pipeline.Pipeline`, ``transform_input=["X_val"]``
            transforms it as X; with metadata routing, request it with
            ``set_fit_request(X_val=True, y_val=True, sample_weight_val=True)``.
            A warm start monitors its new members on the X_val of its own call.
{extra}\
        y_val : array-like of shape {y_shape}, default=None
            {y_text}
        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of the validation rows, checked as
            ``sample_weight``; None weighs every row alike.
"""


_COMMON_ATTRIBUTES_DOC = """
    params_ : tuple of (ndarray, ndarray)
        Each layer's weights of shape (n_estimators, fan_in, fan_out) and biases
        of shape (n_estimators, fan_out), stacked over the members, for
        standardised (and embedded) inputs. With
        ``numeric_embedding="periodic"`` the first pair is the members'
        frequencies and phases, each of shape (n_estimators, n_numeric, 16).
    loss_curve_ : ndarray of shape (n_iter, n_estimators)
        Each member's training objective per epoch; NaN after it stopped.
    validation_loss_curve_ : ndarray of shape (n_iter, n_estimators)
        Each member's validation loss per epoch (only with ``early_stopping``).
    posterior_params_ : tuple of (ndarray, ndarray)
        The members' posterior samples, stacked like ``params_`` over
        ``n_estimators * posterior_samples`` networks, member 0's first (only
        with ``posterior_samples > 0``): the components predictions mix.
        ``params_`` keeps the trained members the chains started from.
    prior_params_ : tuple of (ndarray, ndarray)
        The members' randomized prior networks, stacked like ``params_``
        (only with ``prior_scale > 0``); fixed at their random draw.
    n_iter_ : int
        Epochs run by the longest-training member (``n_iter`` rows of the
        loss curves), plus one per ``partial_fit`` call since.
    best_epoch_ : ndarray of shape (n_estimators,), int
        The epoch, counted from 1 as ``n_iter_`` counts them, whose parameters
        each member keeps: row ``best_epoch_[m] - 1`` of the loss curves. With
        early stopping, the epoch of the member's lowest validation loss (the
        first, on a tie; ``tol`` only decides when it stops), so
        ``np.nanargmin(validation_loss_curve_, axis=0) + 1``; without, the
        member's last epoch (``n_iter_`` for every member on a fixed
        schedule). A warm start appends its new members' epochs; a
        ``partial_fit`` call sets every member's to the new ``n_iter_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit, when X has string column names.
"""
