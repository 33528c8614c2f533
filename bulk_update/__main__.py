from bulk_update.cli.commands import main

raise SystemExit(main())
