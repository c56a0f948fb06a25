import os
from typing import Any, Callable, Optional, Sequence, Union

import pyarrow as pa

from . import demo as demo
from . import spark as spark
from ._spot import DecodeError as DecodeError
from ._spot import FeatureError as FeatureError
from ._spot import ModelError as ModelError
from ._spot import SpotError as SpotError
from ._spot import Summary as Summary

__version__: str
DEFAULT_BATCH_SIZE: int
PathLike = Union[str, os.PathLike[str]]
Progress = Union[bool, Callable[..., Any], None]

def read_flows(paths: Union[PathLike, Sequence[PathLike]], *, batch_size: int = ...) -> pa.Table: ...
def flow_words(data: Any) -> pa.Table: ...
def flow_word_counts(data: Any) -> pa.Table: ...
def read_flow_feedback(path: PathLike) -> pa.Table: ...

class FlowModel:
    summary: Optional[Summary]
    def __init__(
        self, topics: int = 20, alpha: float = 1.02, beta: float = 1.001, iterations: int = 20, seed: int = 0
    ) -> None: ...
    def fit(
        self,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Progress = False,
    ) -> FlowModel: ...
    def fit_counts(
        self,
        counts: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Progress = False,
    ) -> FlowModel: ...
    def score(
        self, data: Any, *, threshold: float = 1.0, max_results: Optional[int] = None, progress: Progress = False
    ) -> pa.Table: ...
    def topics(self) -> pa.Table: ...
    def doc_topics(self) -> pa.Table: ...
    def word_prob(self, word: str, doc: str) -> float: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def is_fitted(self) -> bool: ...
    @property
    def shape(self) -> tuple[int, int]: ...
