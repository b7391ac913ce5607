from redis_ci.cli import main

raise SystemExit(main())
