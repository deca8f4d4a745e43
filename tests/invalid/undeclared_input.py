from pydantic import BaseModel

from deploy_dsl.dsl import Simple, Workflow, workflow_input
from tests.invalid._common import OWNER, In


class Other(BaseModel):
    region: str


# Typed against another model, so the reference passes the attribute check but the workflow
# does not declare it.
task = Simple("task", inputs={"region": workflow_input(Other).region})  # expect: DSL015
workflow = Workflow("undeclared_input", version=1, owner_email=OWNER, input=In, tasks=[task])
