import sys

from schoolnotes.server import main

sys.exit(main())
