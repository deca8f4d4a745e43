"""The Conductor client side: settings, the SDK adapter, the plan (diff, server defaults,
ownership), registration, execution timelines."""
