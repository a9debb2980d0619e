"""`python -m nn` runs the `mlpgrad` command line."""
import sys

from nn.cli import main

sys.exit(main())
