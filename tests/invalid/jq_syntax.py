from deploy_dsl.dsl import JsonJq, Workflow
from tests.invalid._common import OWNER

# The server compiles the query when the task runs: the task FAILS.
names = JsonJq("names", query="[.services[] | | .scope]", inputs={"services": []})  # expect: DSL091
workflow = Workflow("jq_syntax", version=1, owner_email=OWNER, tasks=[names])
