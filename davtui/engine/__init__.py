"""The sync engine, in layers whose imports only point down (import-linter checks it):

    jobs/      database-bound: running a stored job, the queue, item state, recorder, probe, hooks
    sync/      one migration run: mapping, plan, copy, writers + window + read-ahead, verify,
               gate, stats, progress (owns no database handle)
    dav/       CalDAV/CardDAV: wire, transport, XML, properties, discovery, presets, DAV storage
    storages/  the Storage contract, the memory twin, vdir folders, .ics/.vcf files
    items/     the item text model: scan, normal form, compare, fix-ups, split

Beside them, used by every layer or by the front ends: `errors`, `events`, `connect` (opens a
job's storages), `schema` (account and job keys), `report` (a run's JSON report).
The engine never imports Textual.
"""
