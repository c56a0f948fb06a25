"""Native module behind :mod:`spot` (built from crates/spot-py). Use :mod:`spot` instead."""

from typing import Any, Callable, Optional, Sequence

__version__: str

class SpotError(Exception):
    path: Optional[str]
    line: Optional[int]

class DecodeError(SpotError): ...
class FeatureError(SpotError): ...
class ModelError(SpotError): ...

class ArrowStream:
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __len__(self) -> int: ...

class Summary:
    read: int
    invalid: dict[str, int]
    scored: int
    written: int
    feedback_rows: int
    documents: int
    words: int
    stages: list[tuple[str, float]]
    text: str

class FlowModel:
    def __init__(
        self, topics: int = 20, alpha: float = 1.02, beta: float = 1.001, iterations: int = 20, seed: int = 0
    ) -> None: ...
    def fit(
        self,
        data: Any,
        feedback: Optional[str] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Optional[Callable[..., Any]] = None,
    ) -> Summary: ...
    def fit_counts(
        self,
        counts: Any,
        feedback: Optional[str] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Optional[Callable[..., Any]] = None,
    ) -> Summary: ...
    def score(
        self,
        data: Any,
        threshold: float = 1.0,
        max_results: Optional[int] = None,
        progress: Optional[Callable[..., Any]] = None,
    ) -> tuple[ArrowStream, Summary]: ...
    def topics(self) -> ArrowStream: ...
    def doc_topics(self) -> ArrowStream: ...
    @staticmethod
    def from_tables(
        doc_topics: Any, topics: Any, *, n_topics: int, alpha: float, beta: float, iterations: int, seed: int
    ) -> FlowModel: ...
    def config(self) -> dict[str, Any]: ...
    @property
    def is_fitted(self) -> bool: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    def word_prob(self, word: str, doc: str) -> float: ...

def _roundtrip(data: Any) -> ArrowStream: ...
def read_flows(paths: Sequence[str], batch_size: int = ...) -> ArrowStream: ...
def flow_words(data: Any) -> ArrowStream: ...
def flow_word_counts(data: Any) -> ArrowStream: ...
def read_flow_feedback_table(path: str) -> ArrowStream: ...
def demo_flows(seed: int = 1, workstations: int = 250) -> tuple[ArrowStream, ArrowStream]: ...
