from deploy_dsl.dsl import TaskDef
from tests.invalid._common import OWNER

# responseTimeoutSeconds left out is 3600 on the server: more than this timeout.
quick = TaskDef("quick", owner_email=OWNER, timeout_seconds=120)  # expect: DSL050
# Equal is what the server accepts (it refuses only "more than").
equal = TaskDef("equal", owner_email=OWNER, timeout_seconds=60, response_timeout_seconds=60)
