import sys

from wenyuan.cli import main

sys.exit(main())
