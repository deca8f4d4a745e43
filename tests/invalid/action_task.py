from deploy_dsl.dsl import (
    ApprovalGate,
    CompleteTask,
    EventHandler,
    FailTask,
    SetVariable,
    Terminate,
    Wait,
    Workflow,
    payload,
)
from tests.invalid._common import OWNER

gate = ApprovalGate("approve")
signal = Wait.for_signal("signal")
note = SetVariable("note", inputs={"b": 1})
gated = Workflow(
    "gated",
    version=1,
    owner_email=OWNER,
    tasks=[*gate.tasks(on_reject=[Terminate("stop", status="FAILED")]), signal, note],
)
stray = Wait.for_signal("stray")  # a task of another workflow
other = Workflow(
    "other", version=1, owner_email=OWNER, tasks=[stray, SetVariable("s", inputs={"a": 1})]
)
wid = payload("workflowId")
typo, wrong = {"aproved": True}, {"approved": [1]}
decide = EventHandler(
    "decide",
    event="conductor:bot:decide",
    actions=[
        CompleteTask(workflow=gated, task=gate, workflow_id=wid, output={"approved": True}),
        CompleteTask(workflow=gated, task=gate, workflow_id=wid, output=typo),  # expect: DSL083
        CompleteTask(workflow=gated, task=gate, workflow_id=wid, output=wrong),  # expect: DSL083
        CompleteTask(workflow=gated, task="nowhere", workflow_id=wid),  # expect: DSL085
        CompleteTask(workflow=gated, task=stray, workflow_id=wid),  # expect: DSL085
        FailTask(workflow=gated, task=signal, workflow_id=wid, reason=payload("why")),
        CompleteTask(workflow=gated, task=note, workflow_id=wid),  # expect-warning: DSL085
    ],
)
