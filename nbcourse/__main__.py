from nbcourse.cli import main

raise SystemExit(main())
