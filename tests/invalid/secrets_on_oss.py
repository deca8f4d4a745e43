# target: oss
from deploy_dsl.dsl import Http, RetryPolicy, TaskDef, Workflow
from tests.invalid._common import OWNER

# Conductor OSS sends the header as the text `Bearer ${workflow.secrets.smoke_token}`.
smoke = Http("smoke", uri="https://smoke.example/check", method="GET",  # expect: DSL096
             headers={"Authorization": "Bearer ${workflow.secrets.smoke_token}"})  # fmt: skip
taskdef = TaskDef("smoke", owner_email=OWNER, retry=RetryPolicy(count=1))
workflow = Workflow("secrets_on_oss", version=1, owner_email=OWNER, tasks=[smoke])
