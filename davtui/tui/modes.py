"""Mode switches as quick as the terminal can show them.

A first visit of a screen composes it, parses every stylesheet of the App again (Textual does
on each new screen) and restyles it: 0.2-0.4 s on a busy machine. So the screens not shown
yet are built soon after the first frame (`prebuild_screens`), and a switch to a screen
composed before is painted at the next frame: Textual holds the frames of every mode switch
for 50 ms, lest a screen show half composed, which was half of what a switch took.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import events, work
from textual.app import App
from textual.screen import ModalScreen

from davtui.tui.collector import QuietCollector

#: Seconds after the first frame at which the screens not shown yet are built (in a terminal).
PREBUILD_AFTER = 0.3
#: How often a due full garbage collection looks for a quiet moment (`QuietCollector`).
COLLECT_TICK = 0.5


class QuickModesApp(App[None]):
    """An App whose `PREBUILT` modes are built ahead, whose switches (`show`) to a screen
    composed before are not held back, and whose full garbage collections, once the screens
    are built, wait for a moment without input (`QuietCollector`)."""

    #: The modes built ahead.
    PREBUILT: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.screens_built = asyncio.Event()
        """Clear while `prebuild_screens` switches modes: a switch of the user's waits for it."""
        self.screens_built.set()
        self.instant_switch = False
        """Set while `show` switches to a screen composed before (see `delay_update`)."""
        self.collector = QuietCollector()

    @work(group="prebuild", exclusive=True, exit_on_error=False)
    async def prebuild_screens(self) -> None:
        """Build the `PREBUILT` screens before their first visit, so that a first visit
        costs what a later one does. Each pass is one batch that paints nothing: the mode
        switches there and back happen before the next frame, so keys keep going to the screen
        on display. The first pass composes the screens (they mount while the one on display
        stays); Textual styles a screen on its first switch only once it is mounted, so the
        second pass does that. The user's switches wait for it (`show`); not while a dialog
        shows. Only speed: a failure here must not end the App (the screens are then built on
        their first visit)."""
        back = self.current_mode
        self.screens_built.clear()
        try:
            for _pass in range(2):
                if isinstance(self.screen, ModalScreen):
                    return  # a dialog opened meanwhile
                with self.batch_update():
                    mounted = [self.switch_mode(mode) for mode in self.PREBUILT if mode != back]
                    self.switch_mode(back)
                for screen_mounted in mounted:
                    await screen_mounted
        finally:
            self.screens_built.set()
        self.collector.start()
        self.set_interval(COLLECT_TICK, self.collector.tick)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collector.input()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.collector.stop()  # the interpreter's own collections again (a test goes on)

    async def show(self, mode: str) -> None:
        """Switch to `mode` once the screens built ahead are (a switch while they mount would
        find one half built); at the next frame if its screen was composed before."""
        await self.screens_built.wait()
        self.instant_switch = composed(self, mode)
        try:
            switched = self.switch_mode(mode)
        finally:
            self.instant_switch = False
        await switched

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual's hold of the frames while a mode switches, but for a screen composed
        before: that one shows whole at once."""
        if not self.instant_switch:
            super().delay_update(delay)


def composed(app: App[None], mode: str) -> bool:
    """Whether `mode`'s screen was composed before (its first visit composes it)."""
    try:
        return any(screen.is_mounted for screen in app.get_screen_stack(mode))
    except KeyError:  # never shown
        return False
