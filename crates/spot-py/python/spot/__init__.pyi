import os
from typing import Any, Callable, Dict, Literal, Optional, Sequence, Tuple, TypeVar, Union, overload

import pyarrow as pa

from . import demo as demo
from ._spot import DecodeError as DecodeError
from ._spot import FeatureError as FeatureError
from ._spot import ModelError as ModelError
from ._spot import SpotError as SpotError
from ._spot import Summary as Summary

__version__: str
DEFAULT_BATCH_SIZE: int
PathLike = Union[str, os.PathLike[str]]
Paths = Union[PathLike, Sequence[PathLike]]
Progress = Union[bool, Callable[..., Any], None]
TopDomains = Union[PathLike, Sequence[str], None]

def read_flows(paths: Paths, *, batch_size: int = ...) -> pa.Table: ...
@overload
def read_dns(
    paths: Paths,
    *,
    queries: bool = ...,
    dns_port: int = ...,
    batch_size: int = ...,
    strict: bool = ...,
    with_stats: Literal[False] = ...,
) -> pa.Table: ...
@overload
def read_dns(
    paths: Paths,
    *,
    queries: bool = ...,
    dns_port: int = ...,
    batch_size: int = ...,
    strict: bool = ...,
    with_stats: Literal[True],
) -> Tuple[pa.Table, Dict[str, Any]]: ...
@overload
def read_proxy(
    paths: Paths, *, format: Optional[str] = ..., strict: bool = ..., batch_size: int = ..., with_stats: Literal[False] = ...
) -> pa.Table: ...
@overload
def read_proxy(
    paths: Paths, *, format: Optional[str] = ..., strict: bool = ..., batch_size: int = ..., with_stats: Literal[True]
) -> Tuple[pa.Table, Dict[str, Any]]: ...
def flow_words(data: Any) -> pa.Table: ...
def dns_words(data: Any, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> pa.Table: ...
def proxy_words(data: Any, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> pa.Table: ...
def word_counts(
    data: Any, *, source: str = "flow", top_domains: TopDomains = None, user_domain: Optional[str] = None
) -> pa.Table: ...
def word_columns(source: str = "flow") -> list[str]: ...
def flow_word_counts(data: Any) -> pa.Table: ...
def read_flow_feedback(path: PathLike) -> pa.Table: ...
def read_dns_feedback(path: PathLike) -> pa.Table: ...
def read_proxy_feedback(path: PathLike) -> pa.Table: ...

_M = TypeVar("_M", bound="Model")

class Model:
    summary: Optional[Summary]
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
    ) -> None: ...
    def fit(
        self: _M,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        init: Optional[Model] = None,
        progress: Progress = False,
        **kwargs: Any,
    ) -> _M: ...
    def fit_counts(
        self: _M,
        counts: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        progress: Progress = False,
        **kwargs: Any,
    ) -> _M: ...
    def score(
        self,
        data: Any,
        *,
        threshold: float = 1.0,
        max_results: Optional[int] = None,
        mode: str = "spot",
        progress: Progress = False,
    ) -> pa.Table: ...
    def row_scores(self, data: Any) -> pa.Array: ...
    def fold_in(self, data: Any, *, iterations: int = 50) -> int: ...
    def save(self, path: PathLike) -> None: ...
    @classmethod
    def load(cls: type[_M], path: PathLike, *, top_domains: TopDomains = None, user_domain: Optional[str] = None) -> _M: ...
    def topics(self) -> pa.Table: ...
    def doc_topics(self) -> pa.Table: ...
    def word_prob(self, word: str, doc: str) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def is_fitted(self) -> bool: ...
    @property
    def shape(self) -> tuple[int, int]: ...

class FlowModel(Model):
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
    ) -> None: ...
    def fit(  # type: ignore[override]
        self,
        data: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        init: Optional[Model] = None,
        progress: Progress = False,
    ) -> FlowModel: ...
    def fit_counts(  # type: ignore[override]
        self,
        counts: Any,
        *,
        feedback: Optional[PathLike] = None,
        dupfactor: int = 1000,
        feedback_proto: str = "TCP",
        progress: Progress = False,
    ) -> FlowModel: ...

class DnsModel(Model):
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
        top_domains: TopDomains = None,
        user_domain: Optional[str] = None,
    ) -> None: ...

class ProxyModel(Model):
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
        top_domains: TopDomains = None,
        user_domain: Optional[str] = None,
    ) -> None: ...

def evaluate(labels: Any, results: Any, *, id: str = "id", attack: str = "attack") -> Dict[str, Any]: ...
def load_model(
    path: PathLike, *, source: str = "flow", top_domains: TopDomains = None, user_domain: Optional[str] = None
) -> Model: ...
