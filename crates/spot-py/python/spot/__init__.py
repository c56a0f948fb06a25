"""spot: Apache Spot's suspicious-connects analysis, in Rust, on Arrow data.

Every function takes Arrow data (a ``pyarrow.Table``, a ``polars.DataFrame``, a pandas
DataFrame, a DuckDB relation: anything with ``__arrow_c_stream__``) without copying it, and
returns ``pyarrow.Table`` (``.to_pandas()`` or ``polars.from_arrow`` are one call away).

>>> import spot
>>> day = spot.demo.flows(seed=1, workstations=20)
>>> model = spot.FlowModel(topics=5, seed=0).fit(day.flows)
>>> top = model.score(day.flows, max_results=10)
>>> top.num_rows
10
>>> top.column_names[-1]
'score'

Three sources, each with a reader, its words and a model: flows (:func:`read_flows`,
:func:`flow_words`, :class:`FlowModel`), DNS (:func:`read_dns`, :func:`dns_words`,
:class:`DnsModel`) and proxy logs (:func:`read_proxy`, :func:`proxy_words`,
:class:`ProxyModel`). Models save to spot's model file (:meth:`Model.save`,
:func:`load_model`), the same file as the CLI's ``--model-out`` / ``--model``.

Errors derive from :class:`SpotError` and carry ``path``, ``line``, ``offset`` (bytes) and
``frame`` where known. Long calls release the GIL, stop cleanly on Ctrl-C
(``KeyboardInterrupt``) and show a progress bar with ``progress=True`` (when ``tqdm`` is
installed).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _spot
from ._progress import progress_callback
from ._spot import DecodeError, FeatureError, ModelError, SpotError, Summary, __version__

__all__ = [
    "DecodeError",
    "DnsModel",
    "FeatureError",
    "FlowModel",
    "Model",
    "ModelError",
    "ProxyModel",
    "SpotError",
    "Summary",
    "demo",
    "dns_words",
    "evaluate",
    "flow_word_counts",
    "flow_words",
    "load_model",
    "proxy_words",
    "read_dns",
    "read_dns_feedback",
    "read_flow_feedback",
    "read_flows",
    "read_proxy",
    "read_proxy_feedback",
    "word_columns",
    "word_counts",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]
Progress = Union[bool, Callable[..., Any], None]
#: A top-domains list: a ``rank,domain`` CSV path (Alexa/Tranco top-1m), or domain names.
TopDomains = Union[PathLike, Sequence[str], None]

#: Rows per batch when reading files (the CLI's ``--batch-size``).
DEFAULT_BATCH_SIZE = 64 * 1024


def _arrow(data: Any) -> Any:
    """Returns ``data`` as an object of the Arrow PyCapsule interface, converting only what lacks it."""
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return data
    if type(data).__module__.split(".")[0] == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        "expected Arrow data (pyarrow.Table, polars.DataFrame, pandas.DataFrame, "
        f"DuckDB relation...), found {type(data).__name__}"
    )


def _table(stream: Any) -> pa.Table:
    return pa.table(stream)


def _paths(paths: Paths) -> list:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [os.fspath(p) for p in paths]


def _top(top_domains: TopDomains) -> Any:
    if top_domains is None or isinstance(top_domains, (str, os.PathLike)):
        return None if top_domains is None else os.fspath(top_domains)
    return list(top_domains)


def read_flows(paths: Paths, *, batch_size: int = DEFAULT_BATCH_SIZE) -> pa.Table:
    """Reads flow records: files or folders of Spot CSV (optionally gzip), ``nfdump -o csv``
    output, nfdump's binary ``nfcapd`` files, Parquet, or Hive ``y=/m=/d=/h=`` folders, into
    Apache Spot's flow schema (the formats of ``spot ml flow --input``).

    >>> import spot, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "day.parquet")
    >>> spot.demo.flows(seed=1, workstations=10).flows.drop_columns(["id", "attack"]).to_pandas().to_parquet(path)
    >>> spot.read_flows(path).num_rows > 0
    True

    Raises :class:`DecodeError` (with ``path``, and ``line`` or ``offset``) on unreadable input.
    """
    return _table(_spot.read_flows(_paths(paths), batch_size=batch_size))


def read_dns(
    paths: Paths,
    *,
    queries: bool = False,
    dns_port: int = 53,
    batch_size: int = DEFAULT_BATCH_SIZE,
    strict: bool = False,
    with_stats: bool = False,
) -> Union[pa.Table, Tuple[pa.Table, Dict[str, Any]]]:
    """Reads DNS records from packet captures (pcap, pcapng, optionally gzip; files or
    folders) into Apache Spot's DNS schema, as ``spot decode dns``: responses only unless
    ``queries``, on UDP/TCP port ``dns_port``.

    A damaged capture keeps the records before the damage and raises a warning (or
    :class:`DecodeError` with ``path``, ``offset`` and ``frame`` when ``strict``).
    ``with_stats=True`` also returns the counts (packets, messages, rows, skipped by reason).

    >>> import spot
    >>> dns, stats = spot.read_dns("tests/data/dns-400.pcap", with_stats=True)  # doctest: +SKIP
    >>> stats["packets"]                                                          # doctest: +SKIP
    400
    """
    stream, stats = _spot.read_dns(
        _paths(paths), queries=queries, dns_port=dns_port, batch_size=batch_size, strict=strict
    )
    for damage in stats["damaged"]:
        warnings.warn(f"damaged capture (records before the damage kept): {damage}", stacklevel=2)
    table = _table(stream)
    return (table, stats) if with_stats else table


def read_proxy(
    paths: Paths,
    *,
    format: Optional[str] = None,
    strict: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    with_stats: bool = False,
) -> Union[pa.Table, Tuple[pa.Table, Dict[str, Any]]]:
    """Reads proxy logs (Blue Coat W3C ELFF, Squid ``access.log`` native/common/combined, Zeek
    ``http.log`` TSV or JSON; plain or gzip; files or folders) into Apache Spot's proxy schema,
    as ``spot decode proxy``. ``format`` (``"elff"``, ``"squid"``, ``"zeek"``) overrides the
    detection.

    Unreadable lines are counted and skipped (``with_stats=True`` returns the counts and the
    first errors), or raise :class:`DecodeError` with ``path`` and ``line`` when ``strict``.
    """
    stream, stats = _spot.read_proxy(_paths(paths), format=format, strict=strict, batch_size=batch_size)
    table = _table(stream)
    return (table, stats) if with_stats else table


def flow_words(data: Any) -> pa.Table:
    """Apache Spot's flow words: the input's columns, then ``src_word`` (the word ``sip``'s
    document gets), ``dst_word`` (``dip``'s) and ``invalid_reason`` (null for valid rows).

    The input's columns are passed through without copying.

    >>> import spot
    >>> w = spot.flow_words(spot.demo.flows(seed=1, workstations=10).flows)
    >>> w.column_names[-3:]
    ['src_word', 'dst_word', 'invalid_reason']
    """
    return _table(_spot.flow_words(_arrow(data)))


def dns_words(data: Any, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> pa.Table:
    """Apache Spot's DNS words: the input's columns, then ``word`` (the word of the client
    ``ip_dst``'s document) and ``invalid_reason``. ``top_domains`` (a ``rank,domain`` CSV path
    or a list of names) give class 1, ``user_domain`` (e.g. ``"intel"``) class 2."""
    return _table(_spot.dns_words(_arrow(data), top_domains=_top(top_domains), user_domain=user_domain))


def proxy_words(data: Any, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> pa.Table:
    """Apache Spot's proxy words: the input's columns, then ``word`` (the word of
    ``clientip``'s document) and ``invalid_reason``. User agents are weighed by their count in
    ``data``, as Spot did."""
    return _table(_spot.proxy_words(_arrow(data), top_domains=_top(top_domains), user_domain=user_domain))


def word_counts(
    data: Any, *, source: str = "flow", top_domains: TopDomains = None, user_domain: Optional[str] = None
) -> pa.Table:
    """(``doc``, ``word``, ``count``) of every valid record of ``source`` (``"flow"``,
    ``"dns"`` or ``"proxy"``): the corpus the model learns from, in a form that can be summed
    across partitions (see :mod:`spot.spark`) and fitted with :meth:`Model.fit_counts`."""
    return _table(
        _spot.word_counts(_arrow(data), source=source, top_domains=_top(top_domains), user_domain=user_domain)
    )


def word_columns(source: str = "flow") -> "list[str]":
    """The columns word creation of ``source`` (``"flow"``, ``"dns"`` or ``"proxy"``) reads:
    select them first to hand over only what the words need (as :mod:`spot.spark` does).

    >>> import spot
    >>> spot.word_columns("dns")[:3]
    ['frame_time', 'unix_tstamp', 'frame_len']
    """
    return list(_spot.word_columns(source))


def flow_word_counts(data: Any) -> pa.Table:
    """:func:`word_counts` of flows."""
    return word_counts(data, source="flow")


def read_flow_feedback(path: PathLike) -> pa.Table:
    """Reads Apache Spot's flow feedback file (``flow_scores.csv``, tab-separated, ``sev`` 3 =
    low risk). Raises :class:`FeatureError` with ``path`` and ``line`` on a malformed line."""
    return _table(_spot.read_flow_feedback_table(os.fspath(path)))


def read_dns_feedback(path: PathLike) -> pa.Table:
    """Reads the low-risk rows of Apache Spot's DNS feedback file (``dns_scores.csv``, 18
    tab-separated columns). Raises :class:`FeatureError` with ``path`` and ``line``."""
    return _table(_spot.read_dns_feedback_table(os.fspath(path)))


def read_proxy_feedback(path: PathLike) -> pa.Table:
    """Reads Apache Spot's proxy feedback file (tab-separated; ``sev`` from column 22).
    Raises :class:`FeatureError` with ``path`` and ``line``."""
    return _table(_spot.read_proxy_feedback_table(os.fspath(path)))


class Model:
    """A topic model of one source: LDA over IP documents with Apache Spot's defaults (20
    topics, alpha 1.02, beta 1.001, 20 iterations, Spark MLlib's EM). Use :class:`FlowModel`,
    :class:`DnsModel` or :class:`ProxyModel`.

    ``optimizer``: ``"em"`` (Spark's EMLDAOptimizer, Spot's model), ``"online"`` (online
    variational Bayes) or ``"gibbs"`` (collapsed Gibbs: dense up to 128 topics, sparse above; alpha and beta may be below 1).
    ``tolerance``: stop once the training log-likelihood changes by less than this (relative).
    ``spill_dir``: with ``"gibbs"``, keep the sampler's per-token state in a temporary file in
    this folder instead of in memory (the same model; memory flat in the number of hosts).

    Models pickle (and so broadcast to Spark executors) bit-identically, and save to spot's
    model file (:meth:`save`, :func:`load_model`).
    """

    _source = "flow"

    def __init__(
        self,
        topics: int = 20,
        alpha: float = 1.02,
        beta: float = 1.001,
        iterations: int = 20,
        seed: int = 0,
        *,
        optimizer: str = "em",
        tolerance: Optional[float] = None,
        spill_dir: Optional[PathLike] = None,
        **words: Any,
    ) -> None:
        self._words = {"top_domains": _top(words.pop("top_domains", None)), "user_domain": words.pop("user_domain", None)}
        if words:
            raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(words))}")
        self._inner = _spot.Model(
            self._source,
            topics,
            alpha,
            beta,
            iterations,
            seed,
            optimizer=optimizer,
            tolerance=tolerance,
            spill_dir=None if spill_dir is None else os.fspath(spill_dir),
            **self._words,
        )
        self.summary: Optional[Summary] = None

    def fit(
        self,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        init: Optional["Model"] = None,
        progress: Progress = False,
        **kwargs: Any,
    ) -> "Model":
        """Fits the model on records; returns ``self``; the run's counts are in :attr:`summary`.

        ``feedback``: the source's analyst feedback file, whose low-risk rows join training
        ``dupfactor`` times each. ``init``: a fitted model to warm-start from (its topics; new
        words and hosts start fresh), as ``--init-model``."""
        fb = None if feedback is None else os.fspath(feedback)
        with progress_callback(progress) as cb:
            self.summary = self._inner.fit(
                _arrow(data),
                feedback=fb,
                dupfactor=dupfactor,
                init=None if init is None else init._inner,
                progress=cb,
                **kwargs,
            )
        return self

    def fit_counts(
        self,
        counts: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        progress: Progress = False,
        **kwargs: Any,
    ) -> "Model":
        """Fits on (``doc``, ``word``, ``count``) rows, as :func:`word_counts` gives and a
        cluster sums; the same counts give the same model as :meth:`fit`."""
        fb = None if feedback is None else os.fspath(feedback)
        with progress_callback(progress) as cb:
            self.summary = self._inner.fit_counts(
                _arrow(counts), feedback=fb, dupfactor=dupfactor, progress=cb, **kwargs
            )
        return self

    def score(
        self,
        data: Any,
        *,
        threshold: float = 1.0,
        max_results: Optional[int] = None,
        mode: str = "spot",
        progress: Progress = False,
    ) -> pa.Table:
        """Scores records: the rows with score ≤ ``threshold``, at most ``max_results`` of
        them, most suspicious (lowest score) first, ties in input order, with a ``score``
        column appended. The run's counts are in :attr:`summary`. ``mode="combined"`` exists
        for flows (:meth:`FlowModel.score`).

        >>> import spot
        >>> day = spot.demo.flows(seed=1, workstations=20)
        >>> top = spot.FlowModel(topics=5).fit(day.flows).score(day.flows, max_results=5)
        >>> top["score"].to_pylist() == sorted(top["score"].to_pylist())
        True
        """
        return self._score(data, threshold=threshold, max_results=max_results, mode=mode, progress=progress)

    def _score(self, data: Any, *, threshold: float, max_results: Optional[int], mode: str, progress: Progress) -> pa.Table:
        with progress_callback(progress) as cb:
            stream, self.summary = self._inner.score(
                _arrow(data), threshold=threshold, max_results=max_results, mode=mode, progress=cb
            )
        return _table(stream)

    def row_scores(self, data: Any) -> pa.Array:
        """Apache Spot's score of every row of ``data``, in input order, null for invalid rows:
        no threshold and no sorting, a column to attach to the rows (:mod:`spot.spark` scores
        this way).

        >>> import spot
        >>> day = spot.demo.flows(seed=1, workstations=20)
        >>> m = spot.FlowModel(topics=5).fit(day.flows)
        >>> len(m.row_scores(day.flows)) == day.flows.num_rows
        True
        """
        return _table(self._inner.row_scores(_arrow(data)))["score"].combine_chunks()

    def fold_in(self, data: Any, *, iterations: int = 50) -> int:
        """Adds the hosts of ``data`` the model has not seen (their topic mixtures inferred,
        topics fixed), so that a saved model scores them like training hosts instead of 0 (the
        CLI's ``--unseen infer``). Returns how many were added."""
        return self._inner.fold_in(_arrow(data), iterations=iterations)

    def save(self, path: PathLike) -> None:
        """Saves the fitted model to ``path`` in spot's versioned model file (the CLI reads it
        with ``--model``; :func:`load_model` reads it back bit for bit)."""
        self._inner.save(os.fspath(path))

    @classmethod
    def load(cls, path: PathLike, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> "Model":
        """Loads a model file for this class's source (:func:`load_model`)."""
        m = cls.__new__(cls)
        m._words = {"top_domains": _top(top_domains), "user_domain": user_domain}
        m._inner = _spot.Model.load(os.fspath(path), source=cls._source, **m._words)
        m.summary = None
        return m

    def topics(self) -> pa.Table:
        """P(word | topic): a ``word`` column, then ``topic_0`` … ``topic_{K-1}``."""
        return _table(self._inner.topics())

    def doc_topics(self) -> pa.Table:
        """P(topic | document): a ``doc`` column (the IP), then ``topic_0`` … ``topic_{K-1}``."""
        return _table(self._inner.doc_topics())

    def word_prob(self, word: str, doc: str) -> float:
        """Spot's score of one word for one document: Σ_k P(word | k)·P(k | doc); 0 if unseen."""
        return self._inner.word_prob(word, doc)

    @property
    def source(self) -> str:
        """``"flow"``, ``"dns"`` or ``"proxy"``."""
        return self._inner.source

    @property
    def config(self) -> dict:
        """The hyper-parameters (topics, alpha, beta, iterations, seed, optimizer, tolerance)."""
        return self._inner.config()

    @property
    def is_fitted(self) -> bool:
        return self._inner.is_fitted

    @property
    def shape(self) -> "tuple[int, int]":
        """(documents, words) the model knows."""
        return self._inner.shape

    def __getstate__(self) -> dict:
        state: dict = {"config": self.config, "words": self._words, "model": None}
        if self.is_fitted:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "model.spot")
                self.save(path)
                with open(path, "rb") as f:
                    state["model"] = f.read()
        return state

    def __setstate__(self, state: dict) -> None:
        self._words = state["words"]
        self.summary = None
        if state["model"] is None:
            c = dict(state["config"])
            self._inner = _spot.Model(
                self._source,
                c.pop("topics"),
                c.pop("alpha"),
                c.pop("beta"),
                c.pop("iterations"),
                c.pop("seed"),
                **c,
                **self._words,
            )
            return
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.spot")
            with open(path, "wb") as f:
                f.write(state["model"])
            self._inner = _spot.Model.load(path, source=self._source, **self._words)

    def __repr__(self) -> str:
        return repr(self._inner)


class FlowModel(Model):
    """Apache Spot's flow model: documents are IPs (``sip`` and ``dip``), words their flows.

    >>> import spot
    >>> day = spot.demo.flows(seed=1, workstations=20)
    >>> model = spot.FlowModel(topics=5).fit(day.flows)
    >>> model
    FlowModel(topics=5, alpha=1.02, beta=1.001, iterations=20, seed=0, optimizer="em"; fitted: ...)
    >>> model.topics().column_names[:2]
    ['word', 'topic_0']
    """

    _source = "flow"

    def __init__(
        self,
        topics: int = 20,
        alpha: float = 1.02,
        beta: float = 1.001,
        iterations: int = 20,
        seed: int = 0,
        *,
        optimizer: str = "em",
        tolerance: Optional[float] = None,
        spill_dir: Optional[PathLike] = None,
    ) -> None:
        super().__init__(
            topics, alpha, beta, iterations, seed, optimizer=optimizer, tolerance=tolerance, spill_dir=spill_dir
        )

    def fit(
        self,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        init: Optional[Model] = None,
        progress: Progress = False,
    ) -> "FlowModel":
        """Fits the model on flow records; returns ``self`` (see :meth:`Model.fit`).
        ``feedback_proto``: the protocol of the feedback rows (Spot's flow feedback file has
        none)."""
        super().fit(
            data, feedback=feedback, dupfactor=dupfactor, init=init, progress=progress, feedback_proto=feedback_proto
        )
        return self

    def fit_counts(
        self,
        counts: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Progress = False,
    ) -> "FlowModel":
        """See :meth:`Model.fit_counts`."""
        super().fit_counts(counts, feedback=feedback, dupfactor=dupfactor, progress=progress, feedback_proto=feedback_proto)
        return self

    def score(
        self,
        data: Any,
        *,
        threshold: float = 1.0,
        max_results: Optional[int] = None,
        mode: str = "spot",
        progress: Progress = False,
    ) -> pa.Table:
        """Scores flow records (see :meth:`Model.score`). ``mode="spot"`` (default): Apache
        Spot's scores, lowest first. ``mode="combined"``: the ranking of ``spot ml flow``'s
        default mode, the topic score combined with the behavioural detectors (scan, beacon,
        large upload, brute force), most suspicious first, with ``rank``, ``spot_score``,
        ``signals`` and ``reason`` columns; ``threshold`` then keeps suspicion ≥ 1 − threshold.

        >>> import spot
        >>> day = spot.demo.flows(seed=1, workstations=20)
        >>> top = spot.FlowModel(topics=5).fit(day.flows).score(day.flows, max_results=5, mode="combined")
        >>> "reason" in top.column_names
        True
        """
        return self._score(data, threshold=threshold, max_results=max_results, mode=mode, progress=progress)


class DnsModel(Model):
    """Apache Spot's DNS model: documents are clients (``ip_dst``), words their queries'
    shapes. ``top_domains`` (a ``rank,domain`` CSV path or a list of names) and
    ``user_domain`` set the domain classes of the words, as ``spot ml dns``."""

    _source = "dns"

    def __init__(
        self,
        topics: int = 20,
        alpha: float = 1.02,
        beta: float = 1.001,
        iterations: int = 20,
        seed: int = 0,
        *,
        optimizer: str = "em",
        tolerance: Optional[float] = None,
        top_domains: TopDomains = None,
        user_domain: Optional[str] = None,
        spill_dir: Optional[PathLike] = None,
    ) -> None:
        super().__init__(
            topics,
            alpha,
            beta,
            iterations,
            seed,
            optimizer=optimizer,
            tolerance=tolerance,
            spill_dir=spill_dir,
            top_domains=top_domains,
            user_domain=user_domain,
        )


class ProxyModel(Model):
    """Apache Spot's proxy model: documents are clients (``clientip``), words their requests'
    shapes; results carry the ``word`` before the ``score``, as ``spot ml proxy``. User agents
    are weighed by their counts in the data fitted (plus feedback) and in the data scored."""

    _source = "proxy"

    def __init__(
        self,
        topics: int = 20,
        alpha: float = 1.02,
        beta: float = 1.001,
        iterations: int = 20,
        seed: int = 0,
        *,
        optimizer: str = "em",
        tolerance: Optional[float] = None,
        top_domains: TopDomains = None,
        user_domain: Optional[str] = None,
        spill_dir: Optional[PathLike] = None,
    ) -> None:
        super().__init__(
            topics,
            alpha,
            beta,
            iterations,
            seed,
            optimizer=optimizer,
            tolerance=tolerance,
            spill_dir=spill_dir,
            top_domains=top_domains,
            user_domain=user_domain,
        )


def evaluate(labels: Any, results: Any, *, id: str = "id", attack: str = "attack") -> Dict[str, Any]:
    """Scores a ranking against labeled records, as ``spot eval``: ``labels`` has an ``id`` and
    an ``attack`` column (null or empty for normal records), ``results`` the same ids, best
    first. Returns the records, the attack records, the average precision, each attack kind's
    records and best rank, and how many kinds rank within the top 0.1 %, 1 % and 5 %.

    >>> import spot
    >>> day = spot.demo.flows(seed=1, workstations=20)
    >>> top = spot.FlowModel(topics=5).fit(day.flows).score(day.flows, max_results=100, mode="combined")
    >>> e = spot.evaluate(day.flows, top)
    >>> sorted(e["kinds"]) == sorted(day.attacks["kind"].to_pylist())
    True
    """
    return _spot.evaluate(_arrow(labels), _arrow(results), id=id, attack=attack)


_MODELS = {"flow": FlowModel, "dns": DnsModel, "proxy": ProxyModel}


def load_model(
    path: PathLike, *, source: str = "flow", top_domains: TopDomains = None, user_domain: Optional[str] = None
) -> Model:
    """Loads a model file written by :meth:`Model.save` or ``spot ml … --model-out``, as the
    model of ``source`` (``"flow"``, ``"dns"``, ``"proxy"``: the file does not record it).
    Raises :class:`ModelError` (with ``path``, and ``offset`` for a corrupt file).

    >>> import spot, tempfile, os
    >>> day = spot.demo.flows(seed=1, workstations=10)
    >>> model = spot.FlowModel(topics=3, iterations=5).fit(day.flows)
    >>> path = os.path.join(tempfile.mkdtemp(), "flow.model")
    >>> model.save(path)
    >>> spot.load_model(path).topics().equals(model.topics())
    True
    """
    if source not in _MODELS:
        raise ValueError(f"unknown source {source!r}: expected flow, dns or proxy")
    return _MODELS[source].load(path, top_domains=top_domains, user_domain=user_domain)


from . import demo  # noqa: E402  (needs the names above)
