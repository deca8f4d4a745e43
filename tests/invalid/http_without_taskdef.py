from deploy_dsl.dsl import Http, Workflow
from tests.invalid._common import OWNER

call = Http("call", uri="http://localhost:3000/x", method="POST")  # expect-warning: DSL042
workflow = Workflow("http_without_taskdef", version=1, owner_email=OWNER, tasks=[call])
