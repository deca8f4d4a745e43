from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

workflow = Workflow(  # expect: DSL062
    "schema_version", version=1, owner_email=OWNER, schema_version=1, tasks=[Simple("t")]
)
