from deploy_dsl.dsl import Simple, Workflow

workflow = Workflow(  # expect-warning: DSL061
    "missing_owner", version=1, owner_email=None, tasks=[Simple("t")]
)
