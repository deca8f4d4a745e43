from deploy_dsl.dsl import Noop, Workflow

workflow = Workflow("w", verison=1, owner_email="o@example.com", tasks=[Noop("n")])  # expect-load: DSL005 Workflow: no argument 'verison' (did you mean 'version'?)
