from botan_line.cli import main

raise SystemExit(main())
