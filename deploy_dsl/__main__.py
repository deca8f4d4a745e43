"""`python -m deploy_dsl` runs the CLI."""

from deploy_dsl.cli import main

main()
