from deploy_dsl.dsl import Http, Simple
from worker.contract import CreateInfrastructureAnswer

create = Http("create", uri="http://worker/create", method="POST", response=CreateInfrastructureAnswer)
use = Simple("use", inputs={"id": create.output.response.body.infrastructureID})  # expect-load: DSL005 has no field 'infrastructureID' (known fields:
