from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER, In

first = Simple("first")
second = Simple("second", inputs={"x": "${first.outptu.x}"})  # expect: DSL012
third = Simple("third", inputs={"x": "${workflow.inptu.scope}"})  # expect: DSL011
workflow = Workflow(
    "field_typos", version=1, owner_email=OWNER, input=In, tasks=[first, second, third]
)
