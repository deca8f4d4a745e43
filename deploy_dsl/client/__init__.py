"""The Conductor client side: settings, the SDK adapter, registration, execution timelines."""
