from pydantic import BaseModel, Field

from deploy_dsl.dsl import Http, RetryPolicy, TaskDef, Workflow, workflow_input
from tests.invalid._common import OWNER, In


class Call(BaseModel):
    scope: str = Field(min_length=1)
    version: str
    attempts: int = 1


def call(ref: str, body: dict[str, object]) -> Http:
    return Http(ref, name="call", uri="http://w/call", method="POST", body=body, request=Call)


# A typo is an unknown field, and leaves the real one out: two findings on one line.
unknown = call("unknown", {"scope": "a", "verison": "1"})  # expect: DSL071
bad = call("bad", {"scope": "a", "version": "1", "attempts": "many"})  # expect: DSL071
fine = call("fine", {"scope": workflow_input(In).scope, "version": "1"})
taskdef = TaskDef("call", owner_email=OWNER, retry=RetryPolicy(count=1))
workflow = Workflow(
    "request_body", version=1, owner_email=OWNER, input=In, tasks=[unknown, bad, fine]
)
