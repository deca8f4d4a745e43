from deploy_dsl.dsl import SetVariable, Simple, Workflow
from tests.invalid._common import OWNER

remember = SetVariable("remember", inputs={"seen": True})
use = Simple("use", inputs={"v": "${workflow.variables.sen}"})  # expect-warning: DSL016
workflow = Workflow("undeclared_variable", version=1, owner_email=OWNER, tasks=[remember, use])
