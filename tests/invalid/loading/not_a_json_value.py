from deploy_dsl.dsl import Simple, Workflow

task = Simple("t", inputs={"when": object()})  # expect-load: DSL005 is not a JSON value
workflow = Workflow("w", version=1, owner_email="o@example.com", tasks=[task])
