from datetime import UTC, datetime

from deploy_dsl.dsl import Schedule, SetVariable, Workflow
from tests.invalid._common import OWNER

nightly = Workflow(
    "nightly", version=1, owner_email=OWNER, tasks=[SetVariable("n", inputs={"a": 1})]
)
unix = Schedule("unix_cron", cron="0 2 * * *", workflow=nightly)  # expect: DSL080
minute = Schedule("minute_60", cron="0 60 * * * *", workflow=nightly)  # expect: DSL080
never = Schedule("feb_30", cron="0 0 0 30 2 *", workflow=nightly)  # expect: DSL080
zone = Schedule("mars", cron="@daily", zone="Mars/Olympus", workflow=nightly)  # expect: DSL081
at, end = datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
window = Schedule("back", cron="@hourly", start=at, end=end, workflow=nightly)  # expect: DSL081
fine = Schedule("weekdays", cron="0 30 1 ? * MON-FRI", zone="Europe/Berlin", workflow=nightly)
offset = Schedule("offset", cron="0 0 0 L * *", zone="+02:00", workflow=nightly)
