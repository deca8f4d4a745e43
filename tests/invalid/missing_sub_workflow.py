from dataclasses import dataclass

from deploy_dsl.dsl import SubWorkflow, Workflow
from tests.invalid._common import OWNER


@dataclass(frozen=True)
class Elsewhere:  # not an ExternalWorkflow: nothing declares it
    name: str = "ghost_workflow"
    version: int = 1


call = SubWorkflow("call", workflow=Elsewhere())  # expect: DSL041
workflow = Workflow("missing_sub_workflow", version=1, owner_email=OWNER, tasks=[call])
