import sys

from batchmail.cli import main

sys.exit(main())
