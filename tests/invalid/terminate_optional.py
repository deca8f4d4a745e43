from deploy_dsl.dsl import Terminate, Workflow
from tests.invalid._common import OWNER

stop = Terminate("stop", status="FAILED", optional=True)  # expect: DSL036
workflow = Workflow("terminate_optional", version=1, owner_email=OWNER, tasks=[stop])
