from botan_line.ops.cli import main

raise SystemExit(main())
