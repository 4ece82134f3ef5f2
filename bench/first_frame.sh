#!/bin/bash
# The TUI's first frame: seconds from launching `davtui` in a fresh tmux pane of the given size
# (default 80x24) until its accounts table shows, with an empty database; six runs.
#   bash bench/first_frame.sh [COLUMNS ROWS] [DAVTUI]
cols=${1:-80}; rows=${2:-24}; davtui=${3:-davtui}
dir=$(mktemp -d)
trap 'tmux kill-session -t davtui-frame 2>/dev/null; rm -rf "$dir"' EXIT
for run in 1 2 3 4 5 6; do
  start=$(date +%s.%N)
  tmux new-session -d -s davtui-frame -x "$cols" -y "$rows" \
    "DAVTUI_DB=$dir/db.sqlite XDG_DATA_HOME=$dir $davtui"
  until tmux capture-pane -p -t davtui-frame 2>/dev/null | grep -q "Last test"; do sleep 0.02; done
  echo "run $run: $(echo "$(date +%s.%N) - $start" | bc) s"
  tmux kill-session -t davtui-frame
  sleep 0.5
done
