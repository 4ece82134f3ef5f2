"""One answer of a server as the Transport hands it on: status, headers and a body read whole
or streamed, within the answer's size limit and deadline (a hostile server may send an endless
or dripping body)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from davtui.engine import errors
from davtui.engine.dav.bandwidth import LIMIT
from davtui.engine.dav.wire import DeadlinePassed, Wire


@dataclass(slots=True)
class Reply:
    """A successful answer. `retried`: the request was sent again after an attempt that may
    have reached the server (a connection closed before the answer, a timeout, a 502/503/504)."""

    status: int
    url: str
    headers: Mapping[str, str]
    retried: bool = False
    _response: http.client.HTTPResponse | None = field(default=None, repr=False)
    _wire: Wire | None = field(default=None, repr=False)
    _slot: threading.BoundedSemaphore | None = field(default=None, repr=False)
    _content: bytes | None = field(default=None, repr=False)
    _limit: int | None = field(default=None, repr=False)
    _answered: Callable[[bool], None] | None = field(default=None, repr=False)

    @property
    def content(self) -> bytes:
        if self._content is None:
            body = b"".join(self.iter_bytes()) if self._response is not None else b""
            self._content = body
        return self._content

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def iter_bytes(self, size: int = 65536) -> Iterator[bytes]:
        """The body in chunks, without holding all of it in memory; refused once it passes
        the reply's size limit (a server can send an endless body) or its deadline."""
        if self._content is not None:
            yield self._content
            return
        assert self._response is not None
        host = urlsplit(self.url).netloc
        limit = self._limit
        received = 0
        try:
            length = self.headers.get("Content-Length", "")
            if limit is not None and length.isdigit() and int(length) > limit:
                raise _too_large(host, limit)
            while chunk := self._response.read(size):
                received += len(chunk)
                if limit is not None and received > limit:
                    raise _too_large(host, limit)
                LIMIT.take(len(chunk))
                yield chunk
            if self._answered is not None:
                self._answered(True)
        except DeadlinePassed as exc:  # a timeout of the whole answer
            if self._answered is not None:
                self._answered(False)
            raise errors.Unreachable(too_slow(host, exc.seconds), url=self.url) from None
        except (OSError, http.client.HTTPException) as exc:  # cut off, stalled or corrupt
            reason = root_cause(exc)
            raise errors.BadResponse(f"The answer of {host} broke off ({reason}).") from None
        finally:
            self.close()

    def close(self) -> None:
        """Give the connection back (a streamed reply holds a per-host slot until then)."""
        if self._response is not None and self._wire is not None:
            self._wire.done(self._response)
            self._wire = None
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def too_slow(host: str, seconds: float) -> str:
    return f"{host} sent its answer too slowly: no complete answer within {seconds:.0f} s."


def _too_large(host: str, limit: int) -> errors.BadResponse:
    return errors.BadResponse(
        f"{host} sent more than {limit / 2**20:.4g} MB for one answer; refused."
    )


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def root_cause(exc: BaseException) -> str:
    """The innermost message of an exception chain, short enough for one sentence."""
    *_, last = chain(exc)
    text = str(last) or type(last).__name__
    return text.split("] ", 1)[-1][:160]
