from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

task = Simple("task", inputs={"id": "${fetch.output.id}"})  # expect: DSL010
workflow = Workflow("unknown_root", version=1, owner_email=OWNER, tasks=[task])
