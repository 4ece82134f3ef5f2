from davtui.cli import main

raise SystemExit(main())
