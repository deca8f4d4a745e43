from typing import Literal

from pydantic import BaseModel

from deploy_dsl.dsl import Http, Noop, RetryPolicy, Switch, TaskDef, Workflow, workflow_input
from tests.invalid._common import OWNER


class Smoke(BaseModel):
    verdict: Literal["pass", "fail"]


class In(BaseModel):
    replicas: int


smoke_check = Http("smoke_check", uri="http://smoke/check", method="GET", response=Smoke)
taskdef = TaskDef("smoke_check", owner_email=OWNER, retry=RetryPolicy(count=1))
# The worker answers "pass" or "fail": a case "passed" never matches, so every deploy rolls back.
gate = Switch(  # expect: DSL092
    "gate",
    value=smoke_check.output.response.body.verdict,
    cases={"passed": [Noop("promote")]},
    default=[Noop("roll_back")],
)
# An int's string form is its digits: "1" can match, "many" and "01" never.
size = Switch(  # expect: DSL092
    "size",
    value=workflow_input(In).replicas,
    cases={"1": [Noop("single")], "01": [Noop("padded")], "many": [Noop("spread")]},
)
workflow = Workflow("switch_case_never_matches", version=1, owner_email=OWNER, input=In,
                    tasks=[smoke_check, gate, size])  # fmt: skip
