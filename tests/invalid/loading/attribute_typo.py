from deploy_dsl.dsl import Http, Workflow

check_canary = Http("check_canary", uri="http://worker/check", method="GET")
output = {"status": check_canary.outptu}  # expect-load: DSL005 has no attribute 'outptu' (did you mean 'output'?)
workflow = Workflow("w", version=1, owner_email="o@example.com", tasks=[check_canary], output=output)
