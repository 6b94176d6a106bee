"""Stage 2, reading AWS: the only part of auditpack that talks to it.

The read-only gate every call passes, the sessions and account planning, the scheduler that runs the
collectors (declared in ``auditpack.resources``) concurrently over accounts and regions, and the recorder
that keeps each response as evidence.
"""
