"""Built-in checks: pure functions over collected resources, one module per family.

Adding a check: write the function with ``@check`` in the family's module, cite its id in a control file
under ``controls/``, and add its unit test. The registry, the policy and the reports pick it up.
"""
