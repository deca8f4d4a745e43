from deploy_dsl.dsl import Simple, Wait, Workflow
from tests.invalid._common import OWNER

deploy_canary = Simple("deploy_canary")
bake = Wait("bake", duration="10m")  # expect-warning: DSL070
promote = Simple("promote")
workflow = Workflow("unplaced_task", version=1, owner_email=OWNER, tasks=[deploy_canary, promote])
