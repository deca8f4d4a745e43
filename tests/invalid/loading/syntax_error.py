from deploy_dsl.dsl import Simple

task = Simple("t", inputs={"x": 1)  # expect-load: DSL004 syntax error
