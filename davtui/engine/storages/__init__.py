"""Where items live: the Storage contract every backend fulfils (`contract`), the in-memory
twin used by tests (`memory`), vdir folders (`vdir`, with safe file names from `names`) and
single .ics/.vcf files (`file`). The DAV storage sits in `davtui.engine.dav`.

May import `items` and the engine's `errors`/`events`; never dav, sync or jobs.
"""
