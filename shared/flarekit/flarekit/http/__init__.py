"""HTTP plumbing for Workers: a router, request context and response helpers."""
