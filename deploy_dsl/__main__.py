"""`python -m deploy_dsl` runs the CLI."""

from deploy_dsl.cli.entry import main

main()
