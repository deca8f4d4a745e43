from deploy_dsl.dsl import Workflow
from tests.invalid._common import OWNER, step

first = step("notify")  # expect: DSL001
again = step("notify")  # expect: DSL001
workflow = Workflow("duplicate_via_helper", version=1, owner_email=OWNER, tasks=[first, again])
