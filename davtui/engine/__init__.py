"""The sync engine: storages, plan -> act -> verify, events and control. Never imports Textual."""
