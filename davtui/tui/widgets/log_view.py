"""A virtualised log view that pages `LogEntry` rows from the database as they scroll into sight.

Only the visible lines are rendered and only their pages (`PAGE` rows) are read, by keyset
from the newest (`id < the oldest id of the page below`), so a log of a million lines opens
as fast as one of ten, and a search runs in the database over every row
(`davtui.store.search`). The lines show at once; their count, which over a million rows takes
a moment, is made in a thread and arrives as `Counted`. Rows written after the filter was set
(`ceiling`) are left to the live tail: lines of a running job are appended as they come until
the next filter change rereads the database (where the queue has stored them too).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

from peewee import Expression, OperationalError, fn
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from davtui.store.models import LogEntry
from davtui.store.rows import tuples
from davtui.store.search import catch_up, matching
from davtui.tui.messages import LogLine
from davtui.tui.widgets.format import local_time

LEVELS = ("debug", "info", "warning", "error")
PAGE = 200
CACHED_PAGES = 64
#: Seconds a search's count may first spend indexing log rows not indexed yet (an upgraded
#: database's old rows): in a thread, and what it leaves is scanned, so it is only speed.
SEARCH_CATCH_UP = 2.0


@dataclass(frozen=True)
class LogFilter:
    """Which lines to show: a job (None: all), a run (None: all), a minimum level, a text."""

    job_id: int | None = None
    run_id: int | None = None
    min_level: str = "debug"
    search: str = ""

    def levels(self) -> tuple[str, ...]:
        return LEVELS[LEVELS.index(self.min_level) :]

    def where(self) -> Expression:
        # Every level: no level test, so the newest page is a walk down the primary key.
        clause = LogEntry.level.in_(self.levels()) if self.min_level != "debug" else LogEntry.id > 0
        if self.job_id is not None:
            clause &= LogEntry.job == self.job_id
        if self.run_id is not None:
            clause &= LogEntry.run == self.run_id
        if self.search:
            clause &= matching(self.search)
        return clause

    def matches(self, job_id: int, run_id: int | None, line: LogLine) -> bool:
        """The same test as `where`, for a live line that is not read from the database."""
        needle = self.search.lower()
        text = " ".join(filter(None, (line.message, line.uid, line.summary, line.collection)))
        return (
            (self.job_id is None or self.job_id == job_id)
            and (self.run_id is None or self.run_id == run_id)
            and line.level in self.levels()
            and needle in text.lower()
        )


class LogView(ScrollView, can_focus=True):
    """Time, level, message and item of each line; the newest at the bottom."""

    COMPONENT_CLASSES = {
        "logview--time",
        "logview--item",
        "logview--debug",
        "logview--info",
        "logview--warning",
        "logview--error",
    }
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        & > .logview--time { color: $text-muted; }
        & > .logview--item { color: $text-muted; }
        & > .logview--debug { color: $text-disabled; }
        & > .logview--info { color: $primary; }
        & > .logview--warning { color: $warning; text-style: bold; }
        & > .logview--error { color: $error; text-style: bold; }
    }
    """

    class Counted(Message):
        """The stored lines of the current filter are counted (`LogView.stored`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.filter = LogFilter()
        self.stored = 0
        self.counted = True
        """False while the count runs: `stored` is then the lines read so far."""
        self.ceiling = 0
        self._pages: OrderedDict[int, list[tuple[int, LogLine]]] = OrderedDict()
        self._tail: list[LogLine] = []
        self._unseen: list[LogLine] = []
        """Live lines that came while the screen was hidden (`show_unseen`)."""
        self._widest = 0

    @property
    def total(self) -> int:
        return self.stored + len(self._tail)

    def set_filter(self, log_filter: LogFilter) -> None:
        """Show the lines `log_filter` selects, scrolled to the newest; count them in a thread."""
        self.filter = log_filter
        self.ceiling = LogEntry.select(fn.MAX(LogEntry.id)).scalar() or 0
        self._pages.clear()
        self._tail.clear()
        self._unseen.clear()
        self._widest = 0
        self.stored, self.counted = 0, False
        self.stored = len(self._page(0))  # the newest page now; the count follows
        self.counted = self.stored < PAGE  # a page not full is every line there is
        self._resized()
        self.scroll_end(animate=False, immediate=True)
        if not self.size.height:  # not laid out yet (the screen's first visit): the end is
            # only known after the layout; left at the top, the count's arrival would then
            # show the oldest of every line (a jump to the last page: an OFFSET over them all)
            self.scroll_end(animate=False)
        self.refresh()
        if not self.counted:
            self._count(log_filter, self.ceiling)

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-count")
    def _count(self, log_filter: LogFilter, ceiling: int) -> None:
        if log_filter.search:  # the rows not indexed yet are scanned: fewer for the next
            with suppress(OperationalError):
                catch_up(SEARCH_CATCH_UP)
        where = log_filter.where() & (LogEntry.id <= ceiling)
        count = LogEntry.select().where(where).count()
        self.app.call_from_thread(self._counted, log_filter, count)

    def _counted(self, log_filter: LogFilter, count: int) -> None:
        if log_filter != self.filter:
            return  # a later filter is counting
        self.stored, self.counted = count, True
        self._resized()  # the anchor keeps the end in view if the view was there
        self.refresh()
        self.post_message(self.Counted())

    def on_mount(self) -> None:
        self.anchor()  # new lines keep the end in view until the user scrolls away from it

    def add_live(self, job_id: int, run_id: int | None, lines: Sequence[LogLine]) -> None:
        """Append the lines the filter selects (the anchor keeps the end in view)."""
        shown = [line for line in lines if self.filter.matches(job_id, run_id, line)]
        if self.screen.is_current:
            self._append(shown)
        else:  # hidden: measured and laid out once it shows
            self._unseen.extend(shown)

    def show_unseen(self) -> None:
        """Take in the lines that came while the screen was hidden (it shows again)."""
        unseen, self._unseen = self._unseen, []
        self._append(unseen)

    def _append(self, lines: list[LogLine]) -> None:
        if not lines:
            return
        self._tail.extend(lines)
        self._widen(lines)
        self.refresh()

    def _resized(self) -> None:
        self.virtual_size = Size(self._widest, self.total)

    def _widen(self, lines: list[LogLine]) -> None:
        """Grow the scrollable width to the longest line read so far, then resize."""
        self._widest = max(self._widest, *(cell_len(self._text(line)[-1]) for line in lines))
        self._resized()

    def on_resize(self) -> None:
        self._resized()

    def _page(self, number: int) -> list[tuple[int, LogLine]]:
        """Page `number` counted from the newest (0), newest line first, with the rows' ids."""
        if number in self._pages:
            self._pages.move_to_end(number)
            return self._pages[number]
        query = LogEntry.select(
            LogEntry.id,
            LogEntry.time,
            LogEntry.level,
            LogEntry.message,
            LogEntry.collection,
            LogEntry.uid,
            LogEntry.summary,
        ).order_by(LogEntry.id.desc())
        below = self._pages.get(number - 1)
        if number == 0 or below:  # keyset: the rows older than the page below's oldest
            top = below[-1][0] - 1 if below else self.ceiling
            query = query.where(self.filter.where() & (LogEntry.id <= top)).limit(PAGE)
        else:  # a jump (the scrollbar dragged): the one place an OFFSET is paid
            where = self.filter.where() & (LogEntry.id <= self.ceiling)
            query = query.where(where).limit(PAGE).offset(number * PAGE)
        page = [(i, LogLine(local_time(t, "%H:%M:%S"), *rest)) for i, t, *rest in tuples(query)]
        self._pages[number] = page
        if page:
            self._widen([line for _id, line in page])
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def line(self, index: int) -> LogLine | None:
        if index >= self.stored:
            tail = index - self.stored
            return self._tail[tail] if tail < len(self._tail) else None
        back = self.stored - 1 - index  # 0: the newest stored line
        page = self._page(back // PAGE)
        offset = back % PAGE
        return page[offset][1] if offset < len(page) else None

    @staticmethod
    def _text(line: LogLine) -> tuple[str, str, str, str]:
        """The four parts of a rendered line, and (last) the whole of it (an item's summary
        once: an item's message already says it)."""
        summary = None if line.summary and line.summary in line.message else line.summary
        item = " · ".join(filter(None, (line.collection, summary, line.uid)))
        head = f"{line.time} {line.level.upper():7} "
        tail = f"  {item}" if item else ""
        return head, line.message, tail, head + line.message + tail

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        line = self.line(scroll_y + y)
        base = self.rich_style
        if line is None:
            return Strip.blank(width, base)
        style = self.get_component_rich_style
        level = line.level if line.level in LEVELS else "info"
        head, message, item, _whole = self._text(line)
        segments = [
            Segment(head[:9], base + style("logview--time")),
            Segment(head[9:], base + style(f"logview--{level}")),
            Segment(message, base),
            Segment(item, base + style("logview--item")),
        ]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base or Style())
