"""One migration run (`migration.Migration`): map collections, plan each one, copy its items
through the run's writers (`copy`, `writers`, `window`, `overlap`), verify, and report stats
and progress through events; `gate` pauses and stops it between items.

Owns no storage and no database handle: the caller opens both sides and gives the item state.
May import `items`, `storages`, `dav` and the engine's shared modules; never `jobs`.
"""
