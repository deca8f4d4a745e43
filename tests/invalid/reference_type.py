from pydantic import BaseModel

from deploy_dsl.dsl import Http, RetryPolicy, TaskDef, Workflow, workflow_input
from tests.invalid._common import OWNER


class Service(BaseModel):
    scope: str


class In(BaseModel):
    services: list[Service]
    label: Service


class Notify(BaseModel):
    scope: str
    attempts: int


inputs = workflow_input(In)
# A value exactly `${...}` keeps its JSON type: a list where the worker wants a str.
notify = Http("notify", uri="http://w/notify", method="POST", request=Notify,  # expect: DSL095
              body={"scope": inputs.services, "attempts": 1})  # fmt: skip
# An object where it wants an int.
again = {"scope": inputs.label.scope, "attempts": inputs.label}
retry = Http("retry", name="notify", uri="http://w/n", body=again, request=Notify)  # expect: DSL095
taskdef = TaskDef("notify", owner_email=OWNER, retry=RetryPolicy(count=1))
workflow = Workflow("reference_type", version=1, owner_email=OWNER, input=In,
                    tasks=[notify, retry])  # fmt: skip
