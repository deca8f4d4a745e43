"""`python -m deploy_dsl` runs the CLI."""

from deploy_dsl.entry import main

main()
