from deploy_dsl.dsl import Simple, Workflow

workflow = Workflow("w", version="7", owner_email="o@example.com", tasks=[Simple("t")])  # expect-load: DSL005 version must be int, got str '7'
