from deploy_dsl.dsl import GenericTask, Workflow
from tests.invalid._common import OWNER

fork = GenericTask("fork", task_type="FORK")  # expect: DSL037
workflow = Workflow("fork_type", version=1, owner_email=OWNER, tasks=[fork])
