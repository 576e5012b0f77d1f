"""`python -m rollback_rate` is the `rollback-rate` command."""

from rollback_rate.cli import main

main()
