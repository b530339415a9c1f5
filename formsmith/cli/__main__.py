"""`python -m formsmith.cli`: the same as the `formsmith` command."""
from . import main

main()
