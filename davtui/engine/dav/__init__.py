"""CalDAV/CardDAV: the HTTP wire and transport (with origins, the places a login may go, and the
bandwidth budget), WebDAV XML (`davxml`), collection properties, listings, discovery of
principals and homes, server presets, and the DAV storage (`storage`).

May import `items`, `storages` and the engine's `errors`/`events`; never sync or jobs.
"""
