from deploy_dsl.dsl import ExternalWorkflow, SubWorkflow

callee = ExternalWorkflow("finalize_deployment_v1", version=1)
call = SubWorkflow("call", workflow=callee, input={"scope": "svc-a"})  # expect-load: DSL005 SubWorkflow 'call': no argument 'input' (did you mean 'inputs'?)
