from bulk_update.cli import main

raise SystemExit(main())
