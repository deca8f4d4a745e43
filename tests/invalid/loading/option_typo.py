from deploy_dsl.dsl import Http

smoke = Http("smoke", uri="http://localhost:3000/health", optinal=True)  # expect-load: DSL005 Http 'smoke': no argument 'optinal' (did you mean 'optional'?)
