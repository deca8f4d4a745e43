from deploy_dsl.dsl import (
    EventHandler,
    ExternalWorkflow,
    Schedule,
    SetVariable,
    StartWorkflowAction,
    Workflow,
    payload,
)
from tests.invalid._common import OWNER, In

release = Workflow(
    "release", version=1, owner_email=OWNER, input=In, tasks=[SetVariable("r", inputs={"a": 1})]
)
elsewhere = ExternalWorkflow("elsewhere", version=3, input_model=In)
external = Schedule("external", cron="@daily", workflow=elsewhere, input={"scope": "a"})
orphan = Workflow("orphan", version=1, owner_email=OWNER, tasks=[SetVariable("o", inputs={"a": 1})])
unheld = Schedule("unheld", cron="@daily", workflow=orphan)  # expect: DSL082
del orphan  # no module holds it: never registered
typo = Schedule("typo", cron="@daily", workflow=release, input={"scpoe": "a"})  # expect: DSL083
missing = Schedule("missing", cron="@daily", workflow=release)  # expect: DSL083
wrong = Schedule("wrong", cron="@daily", workflow=release, input={"scope": 3})  # expect: DSL083
good = Schedule("good", cron="@daily", workflow=release, input=In(scope="svc-a"))
on_push = EventHandler(
    "on_push",
    event="conductor:ci:pushed",
    actions=[
        StartWorkflowAction(workflow=release, input={"scope": payload("repo")}),
        StartWorkflowAction(workflow=release, input={"repo": payload("repo")}),  # expect: DSL083
    ],
)
