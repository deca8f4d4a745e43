from deploy_dsl.dsl import Simple, Switch, Workflow, workflow_input
from tests.invalid._common import OWNER, In

inputs = workflow_input(In)
left = Simple("left")
right = Simple("right", inputs={"x": left.output.x})  # expect: DSL014
after = Simple("after", inputs={"x": left.output.x})  # fine: after the switch
choose = Switch("choose", value=inputs.scope, cases={"a": [left], "b": [right]})
workflow = Workflow("sibling_branch", version=1, owner_email=OWNER, input=In, tasks=[choose, after])
