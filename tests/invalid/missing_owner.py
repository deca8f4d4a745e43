from deploy_dsl.dsl import Simple, Workflow

workflow = Workflow("missing_owner", version=1, owner_email=None, tasks=[Simple("t")])  # expect: DSL061
