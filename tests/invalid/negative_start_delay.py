from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

late = Simple("late", start_delay=-5)  # expect: DSL046
workflow = Workflow("negative_start_delay", version=1, owner_email=OWNER, tasks=[late])
