from deploy_dsl.dsl import Schedule, SetVariable, Workflow
from tests.invalid._common import OWNER

job = Workflow("job", version=1, owner_email=OWNER, tasks=[SetVariable("j", inputs={"a": 1})])
first = Schedule("hourly", cron="@hourly", workflow=job)  # expect: DSL086
second = Schedule("hourly", cron="0 30 * * * *", workflow=job)  # expect: DSL086
