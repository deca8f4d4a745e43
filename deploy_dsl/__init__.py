"""deploy-dsl: typed Python definitions of Conductor deployment workflows."""
