from typing import Literal

from pydantic import BaseModel

from deploy_dsl.dsl import Noop, Switch, Workflow, workflow_input
from tests.invalid._common import OWNER


class In(BaseModel):
    env: Literal["staging", "production"]


inputs = workflow_input(In)
# Both values have a case: the default runs for nothing.
route = Switch(  # expect-warning: DSL094
    "route",
    value=inputs.env,
    cases={"staging": [Noop("fast")], "production": [Noop("careful")]},
    default=[Noop("unknown_env")],
)
workflow = Workflow("switch_default_unreachable", version=1, owner_email=OWNER, input=In,
                    tasks=[route])  # fmt: skip
