"""The Ray Serve application: REST routes, auth, error mapping."""
