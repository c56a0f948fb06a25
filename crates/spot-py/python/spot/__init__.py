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

Errors derive from :class:`SpotError` and carry ``path`` and ``line`` where known.
Long calls release the GIL, stop cleanly on Ctrl-C (``KeyboardInterrupt``) and show a progress
bar with ``progress=True`` (when ``tqdm`` is installed).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence, Union

import pyarrow as pa

from . import _spot
from ._spot import DecodeError, FeatureError, ModelError, SpotError, Summary, __version__
from ._progress import progress_callback

__all__ = [
    "DecodeError",
    "FeatureError",
    "FlowModel",
    "ModelError",
    "SpotError",
    "Summary",
    "demo",
    "flow_word_counts",
    "flow_words",
    "read_flow_feedback",
    "read_flows",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[bool, Callable[..., Any], None]

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


def read_flows(
    paths: Union[PathLike, Sequence[PathLike]], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> pa.Table:
    """Reads flow records: files or folders of Spot CSV, ``nfdump -o csv`` output, Parquet, or
    Hive ``y=/m=/d=/h=`` folders, into Apache Spot's flow schema.

    >>> import spot, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "day.parquet")
    >>> spot.demo.flows(seed=1, workstations=10).flows.drop_columns(["id", "attack"]).to_pandas().to_parquet(path)
    >>> spot.read_flows(path).num_rows > 0
    True

    Raises :class:`DecodeError` (with ``path`` and ``line``) on unreadable input.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _table(_spot.read_flows([os.fspath(p) for p in paths], batch_size=batch_size))


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


def flow_word_counts(data: Any) -> pa.Table:
    """(``doc``, ``word``, ``count``) of every valid flow: the corpus the model learns from, in a
    form that can be summed across partitions (see :mod:`spot.spark`)."""
    return _table(_spot.flow_word_counts(_arrow(data)))


def read_flow_feedback(path: PathLike) -> pa.Table:
    """Reads Apache Spot's flow feedback file (tab-separated, ``sev`` 3 = low risk).

    Raises :class:`FeatureError` with ``path`` and ``line`` on a malformed line."""
    return _table(_spot.read_flow_feedback_table(os.fspath(path)))


class FlowModel:
    """Apache Spot's flow model: LDA over IP documents (Spark MLlib's EM), with Spot's defaults.

    >>> import spot
    >>> day = spot.demo.flows(seed=1, workstations=20)
    >>> model = spot.FlowModel(topics=5).fit(day.flows)
    >>> model
    FlowModel(topics=5, alpha=1.02, beta=1.001, iterations=20, seed=0; fitted: ...)
    >>> model.topics().column_names[:2]
    ['word', 'topic_0']

    Models pickle (and so broadcast to Spark executors) bit-identically.
    """

    def __init__(
        self,
        topics: int = 20,
        alpha: float = 1.02,
        beta: float = 1.001,
        iterations: int = 20,
        seed: int = 0,
    ) -> None:
        self._inner = _spot.FlowModel(topics, alpha, beta, iterations, seed)
        self.summary: Optional[Summary] = None

    @classmethod
    def _wrap(cls, inner: Any) -> "FlowModel":
        m = cls.__new__(cls)
        m._inner = inner
        m.summary = None
        return m

    def fit(
        self,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Progress = False,
    ) -> "FlowModel":
        """Fits the model on flow records; returns ``self``.

        ``feedback``: an analyst feedback file whose low-risk rows join training ``dupfactor``
        times each (with protocol ``feedback_proto``, as the file has none). The run's counts are
        in :attr:`summary`."""
        fb = None if feedback is None else os.fspath(feedback)
        with progress_callback(progress) as cb:
            self.summary = self._inner.fit(
                _arrow(data), feedback=fb, dupfactor=dupfactor, feedback_proto=feedback_proto, progress=cb
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
        """Fits on (``doc``, ``word``, ``count``) rows, as :func:`flow_word_counts` gives and a
        cluster sums; the same counts give the same model as :meth:`fit`."""
        fb = None if feedback is None else os.fspath(feedback)
        with progress_callback(progress) as cb:
            self.summary = self._inner.fit_counts(
                _arrow(counts), feedback=fb, dupfactor=dupfactor, feedback_proto=feedback_proto, progress=cb
            )
        return self

    def score(
        self,
        data: Any,
        *,
        threshold: float = 1.0,
        max_results: Optional[int] = None,
        progress: Progress = False,
    ) -> pa.Table:
        """Scores flow records: the rows with score ≤ ``threshold``, at most ``max_results`` of
        them, most suspicious (lowest score) first, ties in input order, with a ``score`` column
        appended. The run's counts are in :attr:`summary`.

        >>> import spot
        >>> day = spot.demo.flows(seed=1, workstations=20)
        >>> top = spot.FlowModel(topics=5).fit(day.flows).score(day.flows, max_results=5)
        >>> top["score"].to_pylist() == sorted(top["score"].to_pylist())
        True
        """
        with progress_callback(progress) as cb:
            stream, self.summary = self._inner.score(
                _arrow(data), threshold=threshold, max_results=max_results, progress=cb
            )
        return _table(stream)

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
    def config(self) -> dict:
        """The hyper-parameters."""
        return self._inner.config()

    @property
    def is_fitted(self) -> bool:
        return self._inner.is_fitted

    @property
    def shape(self) -> "tuple[int, int]":
        """(documents, words) the model knows."""
        return self._inner.shape

    def __getstate__(self) -> dict:
        state: dict = {"config": self.config, "tables": None}
        if self.is_fitted:
            state["tables"] = (_ipc(self.doc_topics()), _ipc(self.topics()))
        return state

    def __setstate__(self, state: dict) -> None:
        c = state["config"]
        self.summary = None
        if state["tables"] is None:
            self._inner = _spot.FlowModel(c["topics"], c["alpha"], c["beta"], c["iterations"], c["seed"])
            return
        docs, words = (pa.ipc.open_stream(b).read_all() for b in state["tables"])
        self._inner = _spot.FlowModel.from_tables(
            docs,
            words,
            n_topics=c["topics"],
            alpha=c["alpha"],
            beta=c["beta"],
            iterations=c["iterations"],
            seed=c["seed"],
        )

    def __repr__(self) -> str:
        return repr(self._inner)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


from . import demo  # noqa: E402  (needs the names above)
