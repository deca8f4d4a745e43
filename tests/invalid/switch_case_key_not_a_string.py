from pydantic import BaseModel

from deploy_dsl.dsl import Noop, SetVariable, Switch, Workflow, workflow_input
from tests.invalid._common import OWNER


class In(BaseModel):
    dry_run: bool


inputs = workflow_input(In)
# The key compiles to "True", the value's string form is "true": the case never runs.
route = Switch("route", value=inputs.dry_run, cases={True: [Noop("skip")]})  # expect: DSL093
note = SetVariable("note", inputs={"ran": True})
workflow = Workflow("switch_case_key_not_a_string", version=1, owner_email=OWNER, input=In,
                    tasks=[route, note])  # fmt: skip
