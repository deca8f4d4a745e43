from deploy_dsl.dsl import GenericTask, Workflow
from tests.invalid._common import OWNER

custom = GenericTask("custom", task_type="MY_CUSTOM_TYPE")  # expect-warning: DSL040
workflow = Workflow("unknown_task_type", version=1, owner_email=OWNER, tasks=[custom])
