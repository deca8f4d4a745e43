from deploy_dsl.dsl import Noop, Schedule, Workflow

nightly = Workflow("nightly", version=1, owner_email="o@example.com", tasks=[Noop("n")])
schedule = Schedule("nightly", cron="@daily", workflow=nightly, zon="UTC")  # expect-load: DSL005 Schedule: no argument 'zon' (did you mean 'zone'?)
