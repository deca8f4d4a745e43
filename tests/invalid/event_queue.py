from deploy_dsl.dsl import EventHandler, SetVariable, StartWorkflowAction, Workflow
from tests.invalid._common import OWNER

job = Workflow("job", version=1, owner_email=OWNER, tasks=[SetVariable("j", inputs={"a": 1})])
start = [StartWorkflowAction(workflow=job)]
no_type = EventHandler("no_type", event="approvals", actions=start)  # expect: DSL084
unknown = EventHandler("unknown", event="rabbit:approvals", actions=start)  # expect: DSL084
short = EventHandler("short", event="conductor:approvals", actions=start)  # expect-warning: DSL084
own = EventHandler("own", event="conductor:job:approvals", actions=start)
broker = EventHandler("broker", event="sqs:approvals", actions=start)
