from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

later = Simple("later")
early = Simple("early", inputs={"id": later.output.id})  # expect: DSL013
workflow = Workflow("forward_ref", version=1, owner_email=OWNER, tasks=[early, later])
