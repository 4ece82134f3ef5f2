"""The item text model: iCalendar/vCard text scanned into components (`scan`), the normal form
and content hash used to compare two versions (`normal`, `compare`), the fix-ups a server needs
(`fixups`) and splitting calendar files into items (`split`).

The bottom layer: imports only `davtui.engine.errors`, never storages, dav, sync or jobs.
"""
