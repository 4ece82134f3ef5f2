"""Exit codes of every davtui command (the stable CLI contract, DESIGN.md section 5)."""

OK = 0  # everything copied and verified: as sent, fixed or converted
ITEM_ERRORS = 1  # finished, some items failed, refused or skipped, or a delete was refused
USAGE = 2  # bad usage, configuration or key, or the job is already running
AUTH = 3  # authentication failed
UNREACHABLE = 4  # server unreachable or TLS error
CANCELLED = 5  # stopped before the end
VERIFY = 6  # verification found items missing or changed in meaning by the server

HELP = """exit codes:
  0  everything copied and verified (as sent, fixed or converted)
  1  items failed, were refused or skipped, or a delete was refused
  2  bad usage, configuration or key, or the job is already running
  3  authentication failed
  4  server unreachable or TLS error
  5  cancelled
  6  verification found items missing or changed in meaning"""
