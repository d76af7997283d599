from fengqiao.cli import main

raise SystemExit(main())
