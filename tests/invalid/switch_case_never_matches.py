from typing import Literal

from pydantic import BaseModel

from deploy_dsl.dsl import Http, Noop, RetryPolicy, Switch, TaskDef, Workflow
from tests.invalid._common import OWNER


class Smoke(BaseModel):
    verdict: Literal["pass", "fail"]


smoke_check = Http("smoke_check", uri="http://smoke/check", method="GET", response=Smoke)
taskdef = TaskDef("smoke_check", owner_email=OWNER, retry=RetryPolicy(count=1))
# The worker answers "pass" or "fail": a case "passed" never matches, so every deploy rolls back.
gate = Switch(  # expect: DSL092
    "gate",
    value=smoke_check.output.response.body.verdict,
    cases={"passed": [Noop("promote")]},
    default=[Noop("roll_back")],
)
workflow = Workflow("switch_case_never_matches", version=1, owner_email=OWNER,
                    tasks=[smoke_check, gate])  # fmt: skip
