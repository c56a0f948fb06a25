"""Progress bars for long calls: ``progress=True`` uses tqdm when installed, else stays silent;
a callable receives the raw events ``("stage", name, total)`` and ``("advance", n)``."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional


class _Bars:
    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm
        self._bar: Any = None

    def __call__(self, event: str, *args: Any) -> None:
        if event == "stage":
            self.close()
            name, total = args
            self._bar = self._tqdm(total=total, desc=name, unit="rec" if name != "train" else "it")
        elif event == "advance" and self._bar is not None:
            self._bar.update(args[0])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextlib.contextmanager
def progress_callback(progress: Any) -> Iterator[Optional[Callable[..., Any]]]:
    if callable(progress):
        yield progress
        return
    if not progress:
        yield None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield None
        return
    bars = _Bars(tqdm)
    try:
        yield bars
    finally:
        bars.close()
